//! The signed-in developer's home: welcome, application status, and what
//! comes next.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::credits::my_balance;
use crate::api::onboarding::{my_application, ApplicationView};
use crate::components::form::Notice;
use crate::components::guard::RequireUser;
use crate::domain::credits::Credits;
use crate::domain::role::ApplicationStatus;
use crate::href;

/// `/dashboard`.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let applied = Signal::derive(move || query.read().get("applied").is_some());
    view! {
        <Title text="Dashboard" />
        <RequireUser children=move |user| {
            view! {
                <section class="container page">
                    <p class="eyebrow">"Dashboard"</p>
                    <h1>{format!("Welcome, {}", user.display_name)}</h1>
                    <Notice
                        show=applied
                        message="Thank you! Your application is in the review queue."
                    />
                    <div class="card-grid dashboard-grid">
                        <ApplicationCard />
                        <BalanceCard />
                        <div class="card">
                            <h2>"API keys"</h2>
                            <p class="muted">
                                "Create keys to call models through the OpenAI-compatible API with your credits."
                            </p>
                            <A href=href::keys()>"Manage your API keys"</A>
                        </div>
                        <div class="card">
                            <h2>"Usage"</h2>
                            <p class="muted">
                                "Your requests, tokens and credits spent, by day and model."
                            </p>
                            <A href=href::usage()>"See your usage"</A>
                        </div>
                    </div>
                </section>
            }
        } />
    }
}

#[component]
fn BalanceCard() -> impl IntoView {
    let balance = Resource::new(|| (), |_| my_balance());
    view! {
        <div class="card balance-card">
            <h2>"Credits"</h2>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match balance.await {
                        Ok(b) => {
                            let nothing = b.available == 0 && b.reserved == 0;
                            view! {
                                <p class="balance" data-testid="balance-available">
                                    {Credits::from_micros(b.available).to_string()}
                                    <span class="muted">" credits available"</span>
                                </p>
                                {(b.reserved > 0)
                                    .then(|| {
                                        view! {
                                            <p class="muted" data-testid="balance-reserved">
                                                {format!(
                                                    "{} reserved for requests in flight",
                                                    Credits::from_micros(b.reserved),
                                                )}
                                            </p>
                                        }
                                    })}
                                {nothing
                                    .then(|| {
                                        view! {
                                            <p class="muted">
                                                "Credits arrive when your application is approved."
                                            </p>
                                        }
                                    })}
                                <A href=href::credits()>"See your credit history"</A>
                                {(!b.expiring.is_empty())
                                    .then(|| {
                                        view! {
                                            <h3>"Expiring"</h3>
                                            <ul class="expiring">
                                                {b
                                                    .expiring
                                                    .into_iter()
                                                    .map(|(amount, at)| {
                                                        view! {
                                                            <li>
                                                                {format!("{} on {}", Credits::from_micros(amount), at)}
                                                            </li>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </ul>
                                        }
                                    })}
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn ApplicationCard() -> impl IntoView {
    let application = Resource::new(|| (), |_| my_application());
    view! {
        <div class="card application-card">
            <h2>"Your application"</h2>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match application.await {
                        Ok(Some(app)) => application_status(app).into_any(),
                        Ok(None) => {
                            view! {
                                <p>
                                    "Tell us what you want to build to get access and starter credits."
                                </p>
                                <A href=href::onboarding() attr:class="button button-primary">
                                    "Start your application"
                                </A>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

fn application_status(app: ApplicationView) -> impl IntoView {
    let (badge, text) = match app.status {
        ApplicationStatus::Pending => ("badge badge-pending", "Under review"),
        ApplicationStatus::Approved => ("badge badge-approved", "Approved"),
        ApplicationStatus::Rejected => ("badge badge-rejected", "Not approved"),
    };
    let rejected = app.status == ApplicationStatus::Rejected;
    view! {
        <p>
            <span class=badge data-testid="application-status">
                {text}
            </span>
        </p>
        <dl class="facts">
            <dt>"Submitted"</dt>
            <dd>{app.submitted}</dd>
            <dt>"Industry"</dt>
            <dd>{app.industry}</dd>
            <dt>"Stage"</dt>
            <dd>{app.expected_usage}</dd>
        </dl>
        {app.decision_note.map(|n| view! { <p class="notice">{"Note from the Lab: "}{n}</p> })}
        {rejected
            .then(|| {
                view! {
                    <A href=href::onboarding() attr:class="button">
                        "Send a new application"
                    </A>
                }
            })}
    }
}
