//! Daily totals by model as stacked bars: inline SVG rendered on the server
//! (no chart library, no script), a legend, a `<title>` on every bar and
//! the same numbers as a table for screen readers and copying.

use leptos::prelude::*;

use crate::api::usage::{Metric, UsageChart};
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

fn value_text(metric: Metric, value: i64) -> String {
    match metric {
        Metric::Credits => format!("{} credits", Credits::from_micros(value)),
        Metric::Tokens => format!("{} tokens", grouped(value)),
        Metric::Requests if value == 1 => "1 request".to_owned(),
        Metric::Requests => format!("{} requests", grouped(value)),
    }
}

fn axis_label(metric: Metric, value: i64) -> String {
    match metric {
        Metric::Credits => Credits::from_micros(value).to_string(),
        Metric::Tokens | Metric::Requests => grouped(value),
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

/// The chart, its legend and its table; or an empty state.
pub fn usage_chart(chart: UsageChart) -> impl IntoView {
    let metric = chart.metric;
    if chart.is_empty() {
        return view! {
            <div class="empty-state" role="status">
                <h3>"No requests in the last 30 days"</h3>
                <p>"Once your keys make requests, their daily totals by model appear here."</p>
            </div>
        }
        .into_any();
    }
    let days = chart.days.len();
    let totals: Vec<i64> = (0..days).map(|d| chart.day_total(d)).collect();
    let (top, steps) = axis(totals.iter().copied().max().unwrap_or(0));
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
                        {axis_label(metric, value)}
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
            let segments = chart
                .series
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let value = s.values.get(d).copied().unwrap_or(0);
                    if value <= 0 {
                        return None;
                    }
                    let height = scale(value).max(1.0);
                    stacked += height;
                    let y = baseline - stacked;
                    let title = format!("{day} · {}: {}", s.name, value_text(metric, value));
                    Some(view! {
                        <rect
                            class=series_class(i, &s.name, count)
                            x=format!("{x:.1}")
                            y=format!("{y:.1}")
                            width=format!("{bar:.1}")
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
            let total = format!("{day}: {} in total", value_text(metric, totals[d]));
            view! {
                <g class="chart-day-group">
                    <title>{total}</title>
                    {segments}
                    {label}
                </g>
            }
        })
        .collect_view();

    let busiest = totals
        .iter()
        .enumerate()
        .max_by_key(|(i, v)| (**v, *i))
        .map(|(i, v)| (chart.days[i].clone(), *v));
    let sum = totals.iter().fold(0i64, |a, v| a.saturating_add(*v));
    let description = match busiest {
        Some((day, value)) => format!(
            "{} over 30 days across {} series; the busiest day was {day} with {}. The table below has every number.",
            value_text(metric, sum),
            count,
            value_text(metric, value)
        ),
        None => String::new(),
    };
    let title = format!("{} per day by model, last 30 days", metric.label());

    view! {
        <figure class="usage-chart">
            // Focusable, so a keyboard can scroll it on a narrow screen.
            <div class="chart-wrap" tabindex="0" role="group" aria-label="Chart, scrolls sideways">
                <svg
                    class="chart"
                    viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                    role="img"
                    aria-labelledby="usage-chart-title usage-chart-desc"
                    data-testid="usage-chart"
                >
                    <title id="usage-chart-title">{title.clone()}</title>
                    <desc id="usage-chart-desc">{description}</desc>
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

/// The chart's numbers: one row per day with any usage.
fn table(chart: &UsageChart, totals: &[i64], title: String) -> impl IntoView {
    let metric = chart.metric;
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
                    view! { <td class="num">{axis_label(metric, v)}</td> }
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row" class="nowrap">
                        {chart.days[d].clone()}
                    </th>
                    {cells}
                    <td class="num">{axis_label(metric, totals[d])}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <details class="chart-table">
            <summary>"Show the numbers as a table"</summary>
            <div class="table-wrap" tabindex="0">
                <table>
                    <caption>{format!("{title} (days with requests, newest first)")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Day"</th>
                            {headers}
                            <th scope="col" class="num">
                                "Total"
                            </th>
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
        assert_eq!(value_text(Metric::Credits, 2_500_000), "2.5 credits");
        assert_eq!(value_text(Metric::Tokens, 12_345), "12,345 tokens");
        assert_eq!(value_text(Metric::Requests, 1), "1 request");
        assert_eq!(series_class(7, "Other models", 8), "chart-series-7");
        assert_eq!(series_class(0, "a", 8), "chart-series-0");
    }
}
