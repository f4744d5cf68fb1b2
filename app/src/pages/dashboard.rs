//! The signed-in developer's home: the balance first, then this month's
//! spending, the last 30 days by model (the usage page's chart), the latest
//! requests, the API keys and where to go next. The application leads only
//! while it is not yet approved.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::cohorts::{my_courses, MyCourseView};
use crate::api::credits::BalanceView;
use crate::api::dashboard::{my_dashboard, DashboardView};
use crate::api::keys::{KeyStatus, KeyView};
use crate::api::onboarding::{my_application, ApplicationView};
use crate::api::organizations::{my_organizations, MyOrgs};
use crate::api::usage::{UsageChart, UsageView};
use crate::components::form::Notice;
use crate::components::guard::RequireUser;
use crate::components::ui::{Badge, EmptyState, PageHeader, Tone};
use crate::domain::credits::Credits;
use crate::domain::role::ApplicationStatus;
use crate::error::AppError;
use crate::{format, href};

/// `/dashboard`.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let applied = Signal::derive(move || query.read().get("applied").is_some());
    view! {
        <Title text="Dashboard" />
        <RequireUser children=move |user| {
            let dashboard = Resource::new(|| (), |_| my_dashboard());
            let application = Resource::new(|| (), |_| my_application());
            let courses = Resource::new(|| (), |_| my_courses());
            let orgs = Resource::new(|| (), |_| my_organizations());
            // The resources above are made here, once: the Suspense below
            // may call its closure more than once on the server, and a
            // resource made inside it would be read (and sent) each time.
            view! {
                <section class="container page dashboard">
                    <PageHeader
                        eyebrow="Dashboard"
                        title=format!("Welcome, {}", user.display_name)
                    />
                    <Notice
                        show=applied
                        message="Thank you! Your application is in the review queue."
                    />
                    <JoinedNotice courses />
                    <Suspense fallback=|| {
                        view! { <p class="muted">"Loading…"</p> }
                    }>
                        {move || Suspend::new(async move {
                            let application = application.await;
                            let pending = !matches!(
                                &application,
                                Ok(Some(a))
                                if a.status == ApplicationStatus::Approved
                            );
                            let (business, academic) = match &application {
                                Ok(Some(a)) if a.status == ApplicationStatus::Approved => {
                                    (a.business.clone(), a.academic.clone())
                                }
                                _ => (None, None),
                            };
                            let card = move || {
                                // An approved business application offers to
                                // create the company's organization.
                                view! { <ApplicationCard application=application.clone() /> }
                            };
                            match dashboard.await {
                                Ok(d) => {
                                    view! {
                                        {pending.then(card.clone())}
                                        <Overview dashboard=d.clone() />
                                        <LastThirtyDays chart=d.chart />
                                        <RecentRequests requests=d.recent />
                                        <Keys keys=d.keys count=d.key_count />
                                        {academic.map(|offer| view! { <InstitutionOffer offer /> })}
                                        <MyCourses courses />
                                        <Organizations orgs business />
                                        <QuickLinks />
                                        {(!pending).then(card)}
                                    }
                                        .into_any()
                                }
                                Err(e) => {
                                    view! { <p class="form-error">{e.to_string()}</p> }.into_any()
                                }
                            }
                        })}
                    </Suspense>
                </section>
            }
        } />
    }
}

/// The balance (large), what expires, and this month's spending.
#[component]
fn Overview(dashboard: DashboardView) -> impl IntoView {
    let DashboardView {
        balance,
        month,
        spent_this_month,
        requests_this_month,
        ..
    } = dashboard;
    view! {
        <div class="stat-grid">
            <BalanceCard balance />
            <div class="card stat">
                <h2 class="stat-label">{format!("Spent in {month}")}</h2>
                <p class="stat-value">
                    {format::credits(Credits::from_micros(spent_this_month))}
                    <span class="stat-unit">" credits"</span>
                </p>
                <p class="stat-hint">
                    {match requests_this_month {
                        0 => "No requests yet this month".to_owned(),
                        1 => "1 request".to_owned(),
                        n => format!("{} requests", format::grouped(n)),
                    }}
                </p>
                <A href=href::usage()>"See your usage"</A>
            </div>
        </div>
    }
}

#[component]
fn BalanceCard(balance: BalanceView) -> impl IntoView {
    let nothing = balance.available == 0 && balance.reserved == 0;
    view! {
        <div class="card stat stat-lead balance-card">
            <h2 class="stat-label">"Available"</h2>
            <p class="stat-value" data-testid="balance-available">
                {format::credits_brief(Credits::from_micros(balance.available))}
                <span class="stat-unit">" credits available"</span>
            </p>
            {(balance.reserved > 0)
                .then(|| {
                    view! {
                        <p class="stat-hint" data-testid="balance-reserved">
                            {format!(
                                "{} held for requests in progress",
                                format::credits(Credits::from_micros(balance.reserved)),
                            )}
                        </p>
                    }
                })}
            {nothing
                .then(|| {
                    view! {
                        <p class="stat-hint">"Credits arrive when your application is approved."</p>
                    }
                })}
            {(!balance.expiring.is_empty())
                .then(|| {
                    view! {
                        <h3 class="stat-label">"Expiring"</h3>
                        <ul class="expiring">
                            {balance
                                .expiring
                                .into_iter()
                                .map(|(amount, at)| {
                                    view! {
                                        <li>
                                            {format!(
                                                "{} on {}",
                                                format::credits(Credits::from_micros(amount)),
                                                at,
                                            )}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            <A href=href::credits()>"See your credit history"</A>
        </div>
    }
}

/// Credits per day by model over the last 30 days: the usage page's chart.
#[component]
fn LastThirtyDays(chart: UsageChart) -> impl IntoView {
    view! {
        <section class="dashboard-section" aria-labelledby="chart-heading">
            <h2 id="chart-heading">"Last 30 days"</h2>
            {crate::pages::usage::chart::usage_chart(chart)}
            <p>
                <A href=href::usage()>"Tokens and requests per day"</A>
            </p>
        </section>
    }
}

/// A few of the caller's keys (the active ones first), or how to make the
/// first.
#[component]
fn Keys(keys: Vec<KeyView>, count: usize) -> impl IntoView {
    let more = count.saturating_sub(keys.len());
    view! {
        <section class="dashboard-section" aria-labelledby="keys-heading">
            <h2 id="keys-heading">"API keys"</h2>
            {if keys.is_empty() {
                view! {
                    <EmptyState title="No API keys yet">
                        <p>"A key lets your code call the models; its spending shows up here."</p>
                        <A href=href::keys() attr:class="button button-primary">
                            "Create an API key"
                        </A>
                    </EmptyState>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap" role="region" aria-label="API keys table" tabindex="0">
                        <table class="data-table" data-testid="dashboard-keys">
                            <caption class="visually-hidden">
                                "Your API keys, the active ones first, with what each has spent"
                            </caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Prefix"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col" class="num">
                                        "Spent"
                                    </th>
                                </tr>
                            </thead>
                            <tbody>
                                {keys
                                    .into_iter()
                                    .map(|k| {
                                        let tone = match k.status {
                                            KeyStatus::Active => Tone::Good,
                                            KeyStatus::Revoked | KeyStatus::Expired => Tone::Neutral,
                                        };
                                        view! {
                                            <tr>
                                                <th scope="row">{k.name}</th>
                                                <td data-label="Prefix">
                                                    <code>{k.prefix}</code>
                                                </td>
                                                <td data-label="Status">
                                                    <Badge tone text=k.status.label() />
                                                </td>
                                                <td data-label="Spent" class="num">
                                                    {format::credits(Credits::from_micros(k.spent))}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <p>
                        <A href=href::keys()>
                            {match more {
                                0 => "Manage your keys".to_owned(),
                                1 => "All your keys (1 more)".to_owned(),
                                n => format!("All your keys ({n} more)"),
                            }}
                        </A>
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
}

/// The latest requests, or how to make the first.
#[component]
fn RecentRequests(requests: Vec<UsageView>) -> impl IntoView {
    view! {
        <section class="dashboard-section" aria-labelledby="recent-heading">
            <h2 id="recent-heading">"Recent requests"</h2>
            {if requests.is_empty() {
                view! {
                    // The button to create a key is the keys section's,
                    // below: one link of that name on the page.
                    <EmptyState title="No requests yet">
                        <p>
                            "Call a model with one of your API keys: each request shows up here with its tokens and cost."
                        </p>
                        <A href=href::keys()>"How to call the API"</A>
                    </EmptyState>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0">
                        <table class="data-table">
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"Model"</th>
                                    <th scope="col" class="num">
                                        "Tokens in / out"
                                    </th>
                                    <th scope="col" class="num">
                                        "Credits"
                                    </th>
                                    <th scope="col">"Result"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {requests
                                    .into_iter()
                                    .map(|r| {
                                        let ok = (200..300).contains(&r.status);
                                        view! {
                                            <tr>
                                                <td data-label="When">{r.when}</td>
                                                <td data-label="Model">{r.model}</td>
                                                <td data-label="Tokens in / out" class="num">
                                                    {format!(
                                                        "{} / {}",
                                                        format::grouped(r.input_tokens),
                                                        format::grouped(r.output_tokens),
                                                    )}
                                                </td>
                                                <td data-label="Credits" class="num">
                                                    {format::credits(Credits::from_micros(r.credits))}
                                                </td>
                                                <td data-label="Result">
                                                    {if ok {
                                                        view! { <Badge tone=Tone::Good text="OK" /> }
                                                    } else {
                                                        view! {
                                                            <Badge
                                                                tone=Tone::Bad
                                                                text=format!("Failed ({})", r.status)
                                                            />
                                                        }
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <p>
                        <A href=href::usage()>"All requests"</A>
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
}

/// "You joined CODE." after joining a course (`?joined=CODE`), for a
/// course the caller is in: a link cannot make the portal say anything
/// else.
#[component]
fn JoinedNotice(courses: Resource<Result<Vec<MyCourseView>, AppError>>) -> impl IntoView {
    let query = use_query_map();
    view! {
        <div role="status">
            <Suspense fallback=|| ()>
                {move || {
                    let joined = query.read().get("joined");
                    Suspend::new(async move {
                        let code = joined?;
                        let mine = courses.await.ok()?;
                        mine.iter()
                            .any(|c| c.course_code == code)
                            .then(|| {
                                view! { <p class="notice">{format!("You joined {code}.")}</p> }
                            })
                    })
                }}
            </Suspense>
        </div>
    }
}

/// An approved academic applicant's offer to set up their institution:
/// they become its admin, its students' domain is their own, and the Lab
/// funds its pool.
#[component]
fn InstitutionOffer(offer: crate::api::onboarding::AcademicOfferView) -> impl IntoView {
    use crate::api::cohorts::CreateOwnInstitution;
    use crate::components::form::{action_error, field_error, FormError, SelectField, TextField};
    use leptos::form::ActionForm;
    let action = ServerAction::<CreateOwnInstitution>::new();
    let error = action_error(action.value());
    let university = if offer.university.is_empty() {
        "your university".to_owned()
    } else {
        offer.university.clone()
    };
    let lead = format!(
        "Your academic application is approved. Set up {university} to run courses: you become its admin, students with an address at {} can join its courses, and the Lab funds its pool of credit.",
        offer.domain
    );
    view! {
        <section
            class="dashboard-section card"
            aria-labelledby="institution-offer-heading"
            data-testid="institution-offer"
        >
            <h2 id="institution-offer-heading">{format!("Set up {university}")}</h2>
            <p>{lead}</p>
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                <TextField
                    label="Name"
                    name="name"
                    required=true
                    maxlength=120
                    value=offer.university.clone()
                    error=field_error(error, "name")
                />
                <TextField
                    label="Address"
                    name="slug"
                    required=true
                    autocomplete="off"
                    hint="Its page will be /institutions/<address>: lower-case letters, digits and hyphens."
                    error=field_error(error, "slug")
                />
                <SelectField
                    label="Country"
                    name="country"
                    required=true
                    placeholder="Choose a country"
                    options=crate::pages::organizations::country_options()
                    selected=offer.country.clone()
                    error=field_error(error, "country")
                />
                <TextField
                    label="Website (optional)"
                    name="website"
                    kind="url"
                    autocomplete="off"
                    error=field_error(error, "website")
                />
                <TextField
                    label="Time zone"
                    name="time_zone"
                    autocomplete="off"
                    hint="Terms start and end at midnight here, like Asia/Singapore. Empty: UTC."
                    error=field_error(error, "time_zone")
                />
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        disabled=move || action.pending().get()
                    >
                        "Set up the institution"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// The courses the caller is a student of: what is left of their
/// allocation and the days left in the term. Nothing at all without any.
#[component]
fn MyCourses(courses: Resource<Result<Vec<MyCourseView>, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let list = courses.await.unwrap_or_default();
                (!list.is_empty()).then(|| courses_table(list))
            })}
        </Suspense>
    }
}

fn courses_table(courses: Vec<MyCourseView>) -> impl IntoView {
    view! {
        <section class="dashboard-section" aria-labelledby="courses-heading">
            <h2 id="courses-heading">"My courses"</h2>
            <div class="table-wrap" role="region" aria-label="My courses table" tabindex="0">
                <table class="data-table">
                    <caption class="visually-hidden">
                        "Your courses, with the credit you have left and the days left in the term"
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col">"Course"</th>
                            <th scope="col">"Code"</th>
                            <th scope="col">"Institution"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col" class="num">
                                "Credits left"
                            </th>
                            <th scope="col">"Days left"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {courses
                            .into_iter()
                            .map(|c| {
                                let tone = match c.status.as_str() {
                                    "Joined" => Tone::Good,
                                    "Waiting for credit" => Tone::Warning,
                                    _ => Tone::Neutral,
                                };
                                let left = format!(
                                    "{} of {}",
                                    format::credits(Credits::from_micros(c.remaining)),
                                    format::credits(Credits::from_micros(c.allocated)),
                                );
                                let days = match c.days_left {
                                    None => "Term over".to_owned(),
                                    Some(0) => "Last day".to_owned(),
                                    Some(1) => "1 day".to_owned(),
                                    Some(n) => format!("{} days", format::grouped(n)),
                                };
                                view! {
                                    <tr data-course=c.slug.clone()>
                                        <th scope="row">{c.name.clone()}</th>
                                        <td data-label="Code">
                                            <code>{c.course_code.clone()}</code>
                                        </td>
                                        <td data-label="Institution">
                                            {c.institution_name.clone()}
                                        </td>
                                        <td data-label="Status">
                                            <Badge tone text=c.status.clone() />
                                        </td>
                                        <td data-label="Credits left" class="num">
                                            {left}
                                        </td>
                                        <td data-label="Days left" class="nowrap">
                                            {days}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn QuickLinks() -> impl IntoView {
    view! {
        <section class="dashboard-section" aria-labelledby="next-heading">
            <h2 id="next-heading">"Go to"</h2>
            <ul class="quick-links">
                <li>
                    <A href=href::keys()>"Manage your API keys"</A>
                </li>
                <li>
                    <A href=href::models()>"Models and prices"</A>
                </li>
                <li>
                    <A href=href::usage()>"Usage by day and model"</A>
                </li>
                <li>
                    <A href=href::organizations()>"Organizations"</A>
                </li>
                <li>
                    <A href=href::profile()>"Your profile"</A>
                </li>
            </ul>
        </section>
    }
}

/// The caller's organizations, or an offer to create one (a business
/// works as a team sharing one pool of credit): the company's own, named,
/// after an approved business application.
#[component]
fn Organizations(
    orgs: Resource<Result<MyOrgs, AppError>>,
    business: Option<String>,
) -> impl IntoView {
    view! {
        <section class="dashboard-section" aria-labelledby="orgs-heading">
            <h2 id="orgs-heading">"Organizations"</h2>
            <Suspense fallback=|| ()>
                {move || {
                    let business = business.clone();
                    Suspend::new(async move {
                        let mine = orgs.await.ok();
                        let (list, joinable) = mine
                            .map(|m| (m.organizations, m.joinable))
                            .unwrap_or_default();
                        if let (true, Some(name)) = (list.is_empty(), business) {
                            let create = href::with_query(
                                href::organizations(),
                                &[("name", name.as_str())],
                            );
                            view! {
                                <div class="card org-offer" data-testid="org-offer">
                                    <p>
                                        {format!(
                                            "Your application for {name} is approved. Create {name}'s organization to share one pool of credit with your colleagues, each with a budget.",
                                        )}
                                    </p>
                                    <A href=create attr:class="button button-primary">
                                        {format!("Create {name}'s organization")}
                                    </A>
                                </div>
                            }
                                .into_any()
                        } else if list.is_empty() {
                            let join = if joinable.is_empty() {
                                String::new()
                            } else {
                                let names: Vec<&str> = joinable
                                    .iter()
                                    .map(|j| j.name.as_str())
                                    .collect();
                                format!(
                                    " {} lets people with your email's domain join.",
                                    names.join(", "),
                                )
                            };
                            view! {
                                <p>
                                    "Working as a team? An organization shares one pool of credit between its members, with a budget for each."
                                    {join} " "
                                    <A href=href::organizations()>
                                        "Create or join an organization"
                                    </A>
                                </p>
                            }
                                .into_any()
                        } else {
                            view! {
                                <ul class="quick-links">
                                    {list
                                        .into_iter()
                                        .map(|org| {
                                            view! {
                                                <li>
                                                    <A href=href::organization(&org.slug)>{org.name.clone()}</A>
                                                    {format!(" — {}", org.role.label().to_lowercase())}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The application: how to start it, its review, or its decision.
#[component]
fn ApplicationCard(
    application: Result<Option<ApplicationView>, crate::error::AppError>,
) -> impl IntoView {
    view! {
        <div class="card application-card">
            <h2>"Your application"</h2>
            {match application {
                Ok(Some(app)) => application_status(app).into_any(),
                Ok(None) => {
                    view! {
                        <p>"Tell us what you want to build to get access and starter credits."</p>
                        <A href=href::onboarding() attr:class="button button-primary">
                            "Start your application"
                        </A>
                    }
                        .into_any()
                }
                Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
            }}
        </div>
    }
}

fn application_status(app: ApplicationView) -> impl IntoView {
    let (tone, text) = match app.status {
        ApplicationStatus::Pending => (Tone::Warning, "Under review"),
        ApplicationStatus::Approved => (Tone::Good, "Approved"),
        ApplicationStatus::Rejected => (Tone::Bad, "Not approved"),
    };
    let rejected = app.status == ApplicationStatus::Rejected;
    view! {
        <p data-testid="application-status">
            <Badge tone text />
        </p>
        <dl class="facts">
            <div>
                <dt>"Submitted"</dt>
                <dd>{app.submitted}</dd>
            </div>
            <div>
                <dt>"Industry"</dt>
                <dd>{app.industry}</dd>
            </div>
            <div>
                <dt>"Stage"</dt>
                <dd>{app.expected_usage}</dd>
            </div>
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
