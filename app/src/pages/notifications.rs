//! Notifications: `/notifications` (the list, newest first, unread ones
//! marked, "Mark all read"), `/notifications/{id}` (opens one: marks it
//! read and goes where it leads) and `/settings/notifications` (what the
//! person is told, in the app and by email, and their low-balance
//! threshold).
//!
//! Every form works without JavaScript: a change lands back on the page
//! with `?done=…`.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::notifications::{
    my_notifications, notification_settings, open_notification, KindSetting,
    MarkAllNotificationsRead, NotificationView, SaveNotificationSettings,
};
use crate::components::form::{action_error, field_error, kept_fields, FormError, TextField};
use crate::components::guard::RequireUser;
use crate::components::ui::{EmptyState, Flash, PageHeader, Tone};
use crate::href;
use crate::pages::{done_flag, load_error};
use leptos::server_fn::ServerFn;

/// `/notifications`.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! {
        <Title text="Notifications" />
        <RequireUser children=|_| view! { <Notifications /> } />
    }
}

#[component]
fn Notifications() -> impl IntoView {
    use crate::domain::paging::page_from_query;
    let query = use_query_map();
    let page = Memo::new(move |_| page_from_query(query.read().get("page").as_deref()));
    let mark_all = ServerAction::<MarkAllNotificationsRead>::new();
    let list = Resource::new(
        move || (page.get(), mark_all.version().get()),
        |(page, _)| my_notifications(page),
    );
    let error = action_error(mark_all.value());
    let marked = done_flag("read");
    view! {
        <section class="container page notifications-page">
            <PageHeader title="Notifications" lead="What Lab Portal told you, newest first.">
                <a href=href::notification_settings() class="button">
                    "Settings"
                </a>
            </PageHeader>
            <FormError error />
            {move || {
                marked
                    .get()
                    .then(|| view! { <Flash tone=Tone::Good>"Everything is marked read."</Flash> })
            }}
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(view) => {
                            let nav = crate::components::pager::pager(
                                &view.notifications,
                                href::notifications(),
                                &[],
                            );
                            let summary = match view.unread {
                                0 => "Nothing unread.".to_owned(),
                                1 => "1 unread.".to_owned(),
                                n => format!("{n} unread."),
                            };
                            let empty = view.notifications.items.is_empty()
                                && view.notifications.page == 1;
                            view! {
                                <div class="notifications-bar">
                                    <p class="muted" data-testid="unread-summary">
                                        {summary}
                                    </p>
                                    {(view.unread > 0)
                                        .then(|| {
                                            view! {
                                                <ActionForm action=mark_all attr:class="inline-form">
                                                    <button type="submit" class="button button-small">
                                                        "Mark all read"
                                                    </button>
                                                </ActionForm>
                                            }
                                        })}
                                </div>
                                {if empty {
                                    empty_list().into_any()
                                } else {
                                    notification_list(view.notifications.items).into_any()
                                }}
                                {nav}
                            }
                                .into_any()
                        }
                        Err(e) => load_error(e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn empty_list() -> impl IntoView {
    view! {
        <EmptyState title="No notifications yet">
            <p>
                "When your balance runs low, credit is about to expire, a key reaches its cap, a budget fills up or someone answers you, it shows here."
            </p>
            <p>
                <a href=href::notification_settings()>"Choose what you are told"</a>
            </p>
        </EmptyState>
    }
}

fn notification_list(items: Vec<NotificationView>) -> impl IntoView {
    view! {
        <ol class="notification-list">
            {items
                .into_iter()
                .map(|n| {
                    let open = href::notification(&n.id);
                    let kind = n.kind.map_or("", |k| k.label());
                    let class = if n.unread {
                        "notification notification-unread"
                    } else {
                        "notification"
                    };
                    view! {
                        <li class=class data-notification=n.id.clone()>
                            <p class="notification-meta">
                                {n
                                    .unread
                                    .then(|| {
                                        view! { <span class="badge badge-accent">"Unread"</span> }
                                    })} <span>{kind}</span> " · " <time>{n.time.clone()}</time>
                            </p>
                            <h2 class="notification-title">
                                <a href=open>{n.title.clone()}</a>
                            </h2>
                            <p class="notification-body">{n.body.clone()}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// `/notifications/{id}`: marks the notification read and goes where it
/// leads (a `303` from the server; the router navigates in the browser).
#[component]
pub fn NotificationPage() -> impl IntoView {
    view! {
        <Title text="Notification" />
        <RequireUser children=|_| view! { <OpenNotification /> } />
    }
}

#[component]
fn OpenNotification() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let opened = Resource::new(move || id.clone(), open_notification);
    view! {
        <section class="container page narrow">
            <Suspense fallback=|| {
                view! { <p class="muted">"Opening…"</p> }
            }>
                {move || Suspend::new(async move {
                    match opened.await {
                        Ok(link) => go_to(link).into_any(),
                        Err(e) => {
                            view! {
                                <PageHeader title="Notification" />
                                {load_error(e)}
                                <p>
                                    <a href=href::notifications()>"Your notifications"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Sends the browser to `link`, with a link to follow by hand meanwhile.
fn go_to(link: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::see_other(&link);
    #[cfg(not(feature = "ssr"))]
    let redirect = view! { <leptos_router::components::Redirect path=link.clone() /> };
    #[cfg(feature = "ssr")]
    let redirect = ();
    view! {
        {redirect}
        <p>
            <a href=link>"Continue"</a>
        </p>
    }
}

/// `/settings/notifications`.
#[component]
pub fn NotificationSettingsPage() -> impl IntoView {
    view! {
        <Title text="Notification settings" />
        <RequireUser children=|_| view! { <NotificationSettings /> } />
    }
}

#[component]
fn NotificationSettings() -> impl IntoView {
    let save = ServerAction::<SaveNotificationSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| notification_settings());
    let saved = done_flag("saved");
    view! {
        <section class="container page narrow notification-settings-page">
            <PageHeader
                eyebrow="Settings"
                title="Notifications"
                lead="Choose, for each kind, whether it shows under the bell and whether it is emailed to you."
            >
                <a href=href::notifications() class="button">
                    "Your notifications"
                </a>
            </PageHeader>
            {move || {
                saved
                    .get()
                    .then(|| view! { <Flash tone=Tone::Good>"Your choices are saved."</Flash> })
            }}
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(view) => {
                            view! {
                                <SettingsForm
                                    save
                                    kinds=view.kinds
                                    threshold=view.low_balance_threshold
                                />
                            }
                                .into_any()
                        }
                        Err(e) => load_error(e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SettingsForm(
    save: ServerAction<SaveNotificationSettings>,
    kinds: Vec<KindSetting>,
    threshold: String,
) -> impl IntoView {
    let error = action_error(save.value());
    let kept = kept_fields(SaveNotificationSettings::PATH);
    // A failed post without JavaScript comes back with what was ticked.
    let restored = !kept.is_empty();
    let threshold = kept.get("low_balance_threshold").unwrap_or(threshold);
    let rows = kinds
        .into_iter()
        .map(|setting| {
            let name = setting.kind.as_str();
            let (in_app, email) = if restored {
                (
                    kept.get(&format!("{name}_in_app")).is_some(),
                    kept.get(&format!("{name}_email")).is_some(),
                )
            } else {
                (setting.in_app, setting.email)
            };
            kind_row(setting, in_app, email)
        })
        .collect_view();
    view! {
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <FormError error />
            <div class="table-wrap" role="region" aria-label="Notification kinds" tabindex="0">
                <table class="data-table notification-kinds">
                    <caption class="visually-hidden">"What you are told, and how"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Kind"</th>
                            <th scope="col">"In the app"</th>
                            <th scope="col">"By email"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <TextField
                label="Low-balance threshold, in credits"
                name="low_balance_threshold"
                hint="Leave it empty to be told below 10 % of your last grant."
                value=threshold
                error=field_error(error, "low_balance_threshold")
            />
            <div class="actions">
                <button type="submit" class="button button-primary">
                    "Save"
                </button>
            </div>
        </ActionForm>
    }
}

fn kind_row(setting: KindSetting, in_app: bool, email: bool) -> impl IntoView {
    let name = setting.kind.as_str();
    let label = setting.kind.label();
    let description_id = format!("{name}-description");
    let in_app_id = format!("{name}_in_app");
    let email_id = format!("{name}_email");
    view! {
        <tr>
            <th scope="row">
                <span class="notification-kind">{label}</span>
                <span class="cell-detail" id=description_id.clone()>
                    {setting.kind.description()}
                </span>
            </th>
            <td data-label="In the app">
                <input
                    type="checkbox"
                    id=in_app_id.clone()
                    name=in_app_id.clone()
                    value="on"
                    checked=in_app
                    aria-describedby=description_id.clone()
                />
                <label for=in_app_id class="visually-hidden">
                    {format!("{label} in the app")}
                </label>
            </td>
            <td data-label="By email">
                <input
                    type="checkbox"
                    id=email_id.clone()
                    name=email_id.clone()
                    value="on"
                    checked=email
                    aria-describedby=description_id
                />
                <label for=email_id class="visually-hidden">
                    {format!("{label} by email")}
                </label>
            </td>
        </tr>
    }
}
