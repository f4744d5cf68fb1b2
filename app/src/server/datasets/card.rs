//! Dataset cards: Markdown (CommonMark with tables) rendered to HTML and
//! sanitized, so a card can hold no script, no event handler, no
//! `javascript:` link and no image from elsewhere.

use std::collections::HashSet;

use pulldown_cmark::{html, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// `markdown` as safe HTML, its headings one level down (the page's own
/// title is the `<h1>`).
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: lower(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(lower(level))),
        other => other,
    });
    html::push_html(&mut unsafe_html, events);
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(|element, attribute, value| {
            // Images only from this origin: a relative address.
            if element == "img" && attribute == "src" && !is_relative(value) {
                return None;
            }
            Some(value.into())
        })
        .clean(&unsafe_html)
        .to_string()
}

fn lower(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

fn is_relative(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_links_render() {
        let html =
            render("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[source](https://example.org)");
        assert!(
            html.contains("<table>") && html.contains("<td>1</td>"),
            "{html}"
        );
        assert!(html.contains(r#"href="https://example.org""#), "{html}");
        assert!(html.contains("noopener"), "{html}");
    }

    #[test]
    fn scripts_handlers_and_foreign_images_are_inert() {
        let html = render(concat!(
            "<script>alert(1)</script>\n\n",
            "<img src=x onerror=alert(2)>\n\n",
            "[click](javascript:alert(3))\n\n",
            "<a href=\"javascript:alert(4)\">a</a>\n\n",
            "![tracker](https://evil.example/pixel.png)\n\n",
            "![ours](/pkg/chart.png)",
        ));
        for bad in ["<script", "onerror", "javascript:", "evil.example"] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains(r#"src="/pkg/chart.png""#), "{html}");
    }
}
