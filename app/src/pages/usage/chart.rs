//! Charts of values per day: inline SVG rendered on the server (no chart
//! library, no script), a legend, a `<title>` on every bar and the same
//! numbers as a table for screen readers, phones and copying. One
//! component for every chart: the usage pages (daily totals by model,
//! stacked), the course and organization usage pages, the dashboard and
//! the admin overview (sign-ups and approvals, credits granted, spent and
//! expired, side by side).

use leptos::prelude::*;

use crate::api::usage::{Metric, Series, UsageChart};
use crate::domain::credits::Credits;
use crate::format::grouped;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// The chart's colours: `chart-series-0` … `chart-series-7` in the
/// stylesheet; the last is kept for "Other models".
const PALETTE: usize = 8;

/// The smallest "round" number (1, 2, 2.5 or 5 × 10ⁿ) at least `max`, and
/// how many equal steps divide it into round gridlines.
fn axis(max: i64) -> (i64, i64) {
    let max = max.max(1);
    let mut magnitude: i64 = 1;
    while magnitude.saturating_mul(10) <= max && magnitude < i64::MAX / 10 {
        magnitude *= 10;
    }
    let mut candidates = vec![magnitude, magnitude.saturating_mul(2)];
    if magnitude >= 10 {
        candidates.push(magnitude / 2 * 5);
    }
    candidates.push(magnitude.saturating_mul(5));
    candidates.push(magnitude.saturating_mul(10));
    candidates.sort_unstable();
    let top = candidates
        .into_iter()
        .find(|c| *c >= max)
        .unwrap_or(i64::MAX);
    // 2 × 10ⁿ reads best in quarters, everything else in fifths.
    let steps: &[i64] = if top == magnitude.saturating_mul(2) {
        &[4, 2]
    } else {
        &[5, 4, 2]
    };
    let steps = steps.iter().copied().find(|s| top % s == 0).unwrap_or(1);
    (top, steps)
}

/// `Nov 20` for `2026-11-20`.
fn short_day(day: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = day.split('-').skip(1);
    match (
        parts.next().and_then(|m| m.parse::<usize>().ok()),
        parts.next().and_then(|d| d.parse::<u8>().ok()),
    ) {
        (Some(month @ 1..=12), Some(d)) => format!("{} {d}", MONTHS[month - 1]),
        _ => day.to_owned(),
    }
}

/// How a chart's values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Micro-credits, shown as credits.
    Credits,
    Tokens,
    Requests,
    /// A bare count (sign-ups, approvals): the series' names say of what.
    Count,
}

impl From<Metric> for Unit {
    fn from(metric: Metric) -> Self {
        match metric {
            Metric::Credits => Self::Credits,
            Metric::Tokens => Self::Tokens,
            Metric::Requests => Self::Requests,
        }
    }
}

/// How a day's values stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One bar a day, its series stacked: parts of one whole (a day's
    /// usage, model by model), with a total per day.
    Stacked,
    /// A bar per series, side by side: quantities that do not add up
    /// (credits granted and spent, sign-ups and approvals).
    Grouped,
}

/// A chart of values per day, one series per named thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyChart {
    /// Names the chart's SVG title and description (`<id>-title`): unique
    /// on its page. Also its `data-testid`.
    pub id: &'static str,
    /// The SVG's title and the table's caption.
    pub title: String,
    pub unit: Unit,
    pub layout: Layout,
    /// `YYYY-MM-DD`, oldest first.
    pub days: Vec<String>,
    /// One value per day each; a series named "Other models" last is drawn
    /// grey.
    pub series: Vec<Series>,
    /// Which rows the table lists, for its caption: `days with requests`.
    pub rows: &'static str,
    /// The empty state's heading and sentence, when every value is zero.
    pub empty: (&'static str, &'static str),
}

fn value_text(unit: Unit, value: i64) -> String {
    match unit {
        Unit::Credits => format!("{} credits", Credits::from_micros(value)),
        Unit::Tokens => format!("{} tokens", grouped(value)),
        Unit::Requests if value == 1 => "1 request".to_owned(),
        Unit::Requests => format!("{} requests", grouped(value)),
        Unit::Count => grouped(value),
    }
}

fn axis_label(unit: Unit, value: i64) -> String {
    match unit {
        Unit::Credits => Credits::from_micros(value).to_string(),
        Unit::Tokens | Unit::Requests | Unit::Count => grouped(value),
    }
}

fn series_class(index: usize, name: &str, count: usize) -> String {
    let colour = if name == "Other models" && index + 1 == count {
        PALETTE - 1
    } else {
        index % (PALETTE - 1)
    };
    format!("chart-series-{colour}")
}

fn sum(values: &[i64]) -> i64 {
    values.iter().fold(0i64, |a, v| a.saturating_add(*v))
}

/// A usage chart (daily totals by model, stacked), its legend and its
/// table; or an empty state.
pub fn usage_chart(chart: UsageChart) -> AnyView {
    let metric = chart.metric;
    daily_chart(DailyChart {
        id: "usage-chart",
        title: format!("{} per day by model, last 30 days", metric.label()),
        unit: metric.into(),
        layout: Layout::Stacked,
        days: chart.days,
        series: chart.series,
        rows: "days with requests",
        empty: (
            "No requests in the last 30 days",
            "Once your keys make requests, their daily totals by model appear here.",
        ),
    })
}

/// The chart, its legend and its table; or an empty state.
pub fn daily_chart(chart: DailyChart) -> AnyView {
    if chart
        .series
        .iter()
        .all(|s| s.values.iter().all(|v| *v == 0))
    {
        let (heading, text) = chart.empty;
        return view! {
            <div class="empty-state" role="status">
                <h3>{heading}</h3>
                <p>{text}</p>
            </div>
        }
        .into_any();
    }
    let DailyChart {
        id, unit, layout, ..
    } = chart;
    let days = chart.days.len();
    let value = |s: &Series, d: usize| s.values.get(d).copied().unwrap_or(0);
    let totals: Vec<i64> = (0..days)
        .map(|d| chart.series.iter().map(|s| value(s, d)).sum())
        .collect();
    let peak = match layout {
        Layout::Stacked => totals.iter().copied().max().unwrap_or(0),
        Layout::Grouped => chart
            .series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .max()
            .unwrap_or(0),
    };
    let (top, steps) = axis(peak);
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slot = plot_width / days.max(1) as f64;
    let bar = slot * 0.72;
    let scale = |v: i64| v as f64 / top as f64 * plot_height;
    let baseline = TOP + plot_height;
    let count = chart.series.len();

    let grid = (0..=steps)
        .map(|i| {
            let value = top / steps * i;
            let y = baseline - scale(value);
            view! {
                <g class="chart-grid">
                    <line x1=LEFT x2=WIDTH - RIGHT y1=format!("{y:.1}") y2=format!("{y:.1}") />
                    <text x=LEFT - 6.0 y=format!("{:.1}", y + 4.0) text-anchor="end">
                        {axis_label(unit, value)}
                    </text>
                </g>
            }
        })
        .collect_view();

    let bars = (0..days)
        .map(|d| {
            let x = LEFT + d as f64 * slot + (slot - bar) / 2.0;
            let mut stacked = 0.0;
            let day = chart.days[d].clone();
            // Side by side, each series has its share of the day's width.
            let width = match layout {
                Layout::Stacked => bar,
                Layout::Grouped => bar / count.max(1) as f64,
            };
            let segments = chart
                .series
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let value = value(s, d);
                    if value <= 0 {
                        return None;
                    }
                    let height = scale(value).max(1.0);
                    let (x, y) = match layout {
                        Layout::Stacked => {
                            stacked += height;
                            (x, baseline - stacked)
                        }
                        Layout::Grouped => (x + i as f64 * width, baseline - height),
                    };
                    let title = format!("{day} · {}: {}", s.name, value_text(unit, value));
                    Some(view! {
                        <rect
                            class=series_class(i, &s.name, count)
                            x=format!("{x:.1}")
                            y=format!("{y:.1}")
                            width=format!("{width:.1}")
                            height=format!("{height:.1}")
                        >
                            <title>{title}</title>
                        </rect>
                    })
                })
                .collect_view();
            let label = (days - 1 - d).is_multiple_of(7).then(|| {
                view! {
                    <text
                        class="chart-day"
                        x=format!("{:.1}", x + bar / 2.0)
                        y=HEIGHT - 8.0
                        text-anchor="middle"
                    >
                        {short_day(&day)}
                    </text>
                }
            });
            let total = match layout {
                Layout::Stacked => format!("{day}: {} in total", value_text(unit, totals[d])),
                Layout::Grouped => format!(
                    "{day}: {}",
                    each_series(&chart.series, unit, |s| value(s, d))
                ),
            };
            view! {
                <g class="chart-day-group">
                    <title>{total}</title>
                    {segments}
                    {label}
                </g>
            }
        })
        .collect_view();

    let description = match layout {
        Layout::Stacked => {
            let busiest = totals
                .iter()
                .enumerate()
                .max_by_key(|(i, v)| (**v, *i))
                .map(|(i, v)| (chart.days[i].clone(), *v));
            match busiest {
                Some((day, value)) => format!(
                    "{} over {days} days across {count} series; the busiest day was {day} with {}. The table below has every number.",
                    value_text(unit, sum(&totals)),
                    value_text(unit, value)
                ),
                None => String::new(),
            }
        }
        Layout::Grouped => format!(
            "Over {days} days: {}. The table below has every number.",
            each_series(&chart.series, unit, |s| sum(&s.values))
        ),
    };
    let title = chart.title.clone();

    view! {
        <figure class="usage-chart">
            // Focusable, so a keyboard can scroll it on a narrow screen.
            <div class="chart-wrap" tabindex="0" role="group" aria-label="Chart, scrolls sideways">
                <svg
                    class="chart"
                    viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                    role="img"
                    aria-labelledby=format!("{id}-title {id}-desc")
                    data-testid=id
                >
                    <title id=format!("{id}-title")>{title.clone()}</title>
                    <desc id=format!("{id}-desc")>{description}</desc>
                    {grid}
                    {bars}
                    <line class="chart-axis" x1=LEFT x2=WIDTH - RIGHT y1=baseline y2=baseline />
                </svg>
            </div>
            <figcaption>
                <ul class="chart-legend" aria-label="Legend">
                    {chart
                        .series
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            view! {
                                <li>
                                    <svg
                                        class="chart-swatch"
                                        viewBox="0 0 10 10"
                                        aria-hidden="true"
                                    >
                                        <rect
                                            class=series_class(i, &s.name, count)
                                            width="10"
                                            height="10"
                                            rx="2"
                                        />
                                    </svg>
                                    <span>{s.name.clone()}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </figcaption>
            {table(&chart, &totals, title)}
        </figure>
    }
    .into_any()
}

/// `Granted 5 credits, Spent 2 credits`: each series' value.
fn each_series(series: &[Series], unit: Unit, value: impl Fn(&Series) -> i64) -> String {
    series
        .iter()
        .map(|s| format!("{} {}", s.name, value_text(unit, value(s))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The chart's numbers: one row per day with any value, newest first; a
/// stacked chart's with its total.
fn table(chart: &DailyChart, totals: &[i64], title: String) -> impl IntoView {
    let unit = chart.unit;
    let stacked = chart.layout == Layout::Stacked;
    let headers = chart
        .series
        .iter()
        .map(|s| {
            view! {
                <th scope="col" class="num">
                    {s.name.clone()}
                </th>
            }
        })
        .collect_view();
    let rows = (0..chart.days.len())
        .rev()
        .filter(|d| totals[*d] > 0)
        .map(|d| {
            let cells = chart
                .series
                .iter()
                .map(|s| {
                    let v = s.values.get(d).copied().unwrap_or(0);
                    view! {
                        <td class="num" data-label=s.name.clone()>
                            {axis_label(unit, v)}
                        </td>
                    }
                })
                .collect_view();
            let total = stacked.then(|| {
                view! {
                    <td class="num" data-label="Total">
                        {axis_label(unit, totals[d])}
                    </td>
                }
            });
            view! {
                <tr>
                    <th scope="row" class="nowrap">
                        {chart.days[d].clone()}
                    </th>
                    {cells}
                    {total}
                </tr>
            }
        })
        .collect_view();
    let caption = format!("{title} ({}, newest first)", chart.rows);
    view! {
        <details class="chart-table">
            <summary>"Show the numbers as a table"</summary>
            <div class="table-wrap" tabindex="0">
                <table class="data-table">
                    <caption>{caption}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Day"</th>
                            {headers}
                            {stacked
                                .then(|| {
                                    view! {
                                        <th scope="col" class="num">
                                            "Total"
                                        </th>
                                    }
                                })}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_on_a_round_number_split_into_round_steps() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(1), (1, 1));
        assert_eq!(axis(3), (5, 5));
        assert_eq!(axis(7), (10, 5));
        assert_eq!(axis(10), (10, 5));
        assert_eq!(axis(11), (20, 4));
        assert_eq!(axis(21), (25, 5));
        assert_eq!(axis(26), (50, 5));
        assert_eq!(axis(101), (200, 4));
        assert_eq!(axis(12_300), (20_000, 4));
        assert_eq!(axis(2_400_000), (2_500_000, 5));
    }

    #[test]
    fn days_and_values_read_naturally() {
        assert_eq!(short_day("2026-11-20"), "Nov 20");
        assert_eq!(short_day("2026-01-05"), "Jan 5");
        assert_eq!(short_day("nonsense"), "nonsense");
        assert_eq!(value_text(Unit::Credits, 2_500_000), "2.5 credits");
        assert_eq!(value_text(Unit::Tokens, 12_345), "12,345 tokens");
        assert_eq!(value_text(Unit::Requests, 1), "1 request");
        assert_eq!(value_text(Unit::Count, 1_200), "1,200");
        assert_eq!(Unit::from(Metric::Tokens), Unit::Tokens);
        assert_eq!(series_class(7, "Other models", 8), "chart-series-7");
        assert_eq!(series_class(0, "a", 8), "chart-series-0");
    }
}

#[cfg(all(test, feature = "ssr"))]
mod rendering {
    use super::*;

    fn chart(layout: Layout, series: Vec<Series>) -> String {
        daily_chart(DailyChart {
            id: "test-chart",
            title: "Things per day".to_owned(),
            unit: Unit::Count,
            layout,
            days: vec!["2026-11-01".to_owned(), "2026-11-02".to_owned()],
            series,
            rows: "days with things",
            empty: ("Nothing yet", "Things appear here."),
        })
        .to_html()
    }

    fn two() -> Vec<Series> {
        vec![
            Series {
                name: "Sign-ups".to_owned(),
                values: vec![0, 4],
            },
            Series {
                name: "Approvals".to_owned(),
                values: vec![0, 2],
            },
        ]
    }

    #[test]
    fn grouped_bars_stand_side_by_side_without_a_total() {
        let html = chart(Layout::Grouped, two());
        assert!(html.contains(r#"aria-labelledby="test-chart-title test-chart-desc""#));
        assert!(html.contains(r#"data-testid="test-chart""#));
        assert!(
            html.contains("Over 2 days: Sign-ups 4, Approvals 2."),
            "{html}"
        );
        assert!(html.contains("2026-11-02: Sign-ups 4, Approvals 2"));
        assert!(!html.contains("Total"), "grouped series do not add up");
        assert!(html.contains("(days with things, newest first)"));
        assert!(
            html.contains(r#"<td data-label="Approvals" class="num">2</td>"#),
            "{html}"
        );
        // Both bars stand on the baseline: 4 reaches the top of an axis of
        // 5, 2 under half of it.
        assert!(
            html.contains(r#"height="176.0""#) && html.contains(r#"height="88.0""#),
            "{html}"
        );
    }

    #[test]
    fn stacked_bars_add_up_to_a_total_and_an_empty_chart_says_so() {
        let html = chart(Layout::Stacked, two());
        assert!(html.contains("6 over 2 days across 2 series"), "{html}");
        assert!(html.contains("2026-11-02: 6 in total"));
        assert!(
            html.contains(r#"<td data-label="Total" class="num">6</td>"#),
            "{html}"
        );

        let empty = chart(Layout::Grouped, Vec::new());
        assert!(empty.contains("Nothing yet") && empty.contains("Things appear here."));
        assert!(!empty.contains("<svg"));
    }
}
