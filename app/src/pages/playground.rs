//! The playground: `/playground` lists the signed-in user's conversations
//! (searched by title, paged; each renamed or deleted from its page) and
//! their monthly playground limit; `/playground/{id}` is one conversation
//! with an agent.
//!
//! A message is a plain form post (`server/src/playground.rs`), answered
//! whole and sent back here without JavaScript. With JavaScript the page
//! posts it itself and reads the reply as it streams: the text as it
//! comes, its tokens and credits so far, and a Stop button that ends the
//! call (only what was generated is billed). The saved conversation is
//! then read again, its replies rendered from Markdown and sanitized on
//! the server.

use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::load_error;
use crate::api::playground::{
    get_conversation, get_shared, my_conversations, take_new_share, BillConversation, BillToView,
    ConversationView, ConversationsView, DeleteConversation, MessageView, NewShare,
    RenameConversation, RevokeConversationShare, SetPlaygroundCap, ShareConversation, ShareView,
    SharedView, EXPIRIES,
};
use crate::components::form::{action_error, field_error, FormError, Notice, SelectField};
use crate::components::guard::RequireUser;
use crate::components::pager::pager;
use crate::components::reply_stream::Refusal;
use crate::components::ui::{Badge, EmptyState, PageHeader, Tone};
use crate::error::AppError;
use crate::href;

/// `/playground`.
#[component]
pub fn PlaygroundPage() -> impl IntoView {
    view! {
        <Title text="Playground" />
        <RequireUser children=|_| view! { <Conversations /> } />
    }
}

#[component]
fn Conversations() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let query = query.read();
        (
            query.get("q").unwrap_or_default(),
            query.get("page").unwrap_or_default(),
        )
    });
    let set_cap = ServerAction::<SetPlaygroundCap>::new();
    let list = Resource::new(
        move || (params.get(), set_cap.version().get()),
        |((q, page), _)| my_conversations(q, page),
    );
    let deleted = Signal::derive(move || query.read().get_str("done") == Some("deleted"));
    let cap_saved = Signal::derive(move || query.read().get_str("done") == Some("cap"));
    let cap_error = action_error(set_cap.value());
    view! {
        <section class="container page playground-page">
            <PageHeader
                eyebrow="Agents"
                title="Playground"
                lead="Your conversations with the Lab's agents. Each reply is charged to your credits at its model's price."
            >
                <a class="button button-primary" href=href::agents()>
                    "Start with an agent"
                </a>
            </PageHeader>
            <Notice show=deleted message="The conversation is deleted." />
            <Notice show=cap_saved message="Your monthly playground limit is saved." />
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(view) => conversations_view(view, set_cap, cap_error).into_any(),
                        Err(e) => load_error(e).into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn conversations_view(
    view: ConversationsView,
    set_cap: ServerAction<SetPlaygroundCap>,
    cap_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let ConversationsView {
        q,
        results,
        month_spent,
        cap,
    } = view;
    let searching = !q.is_empty();
    let list = if results.total == 0 {
        if searching {
            view! {
                <EmptyState title="No conversation has that title">
                    <a class="button" href=href::playground_list()>
                        "Show every conversation"
                    </a>
                </EmptyState>
            }
            .into_any()
        } else {
            view! {
                <EmptyState title="No conversations yet">
                    <p>"Pick an agent in the gallery and press “Try it” to start one."</p>
                    <a class="button button-primary" href=href::agents()>
                        "Browse agents"
                    </a>
                </EmptyState>
            }
            .into_any()
        }
    } else {
        let nav = pager(&results, href::playground_list(), &[("q", q.clone())]);
        view! {
            <ul class="conversation-list">
                {results
                    .items
                    .into_iter()
                    .map(|c| {
                        view! {
                            <li class="card conversation-item">
                                <span class="agent-icon" aria-hidden="true">
                                    {c.agent_icon}
                                </span>
                                <div>
                                    <a href=href::playground(&c.id)>{c.title}</a>
                                    <p class="muted">
                                        {format!(
                                            "{} · {} · {} credits",
                                            c.agent_name,
                                            c.updated,
                                            c.credits,
                                        )}
                                    </p>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {nav}
        }
        .into_any()
    };
    view! {
        <Form
            method="GET"
            action=href::playground_list()
            attr:class="filter-bar"
            attr:role="search"
        >
            <div class="field">
                <label for="conversation-q">"Search titles"</label>
                <input id="conversation-q" name="q" type="search" value=q.clone() />
            </div>
            <button type="submit" class="button">
                "Search"
            </button>
        </Form>
        {list}
        <section class="playground-cap" aria-labelledby="cap-heading">
            <h2 id="cap-heading">"Monthly playground limit"</h2>
            <p>
                {match &cap {
                    Some(cap) => {
                        format!(
                            "This month the playground has spent {month_spent} credits. Your limit is {cap} credits a month.",
                        )
                    }
                    None => {
                        format!(
                            "This month the playground has spent {month_spent} credits. You have set no limit of your own.",
                        )
                    }
                }}
            </p>
            <p class="muted">
                "A reply that could pass the limit is not started. Leave the field empty for no limit."
            </p>
            <FormError error=cap_error />
            <ActionForm action=set_cap attr:class="inline-form">
                <div class="field">
                    <label for="cap">"Limit in credits"</label>
                    <input
                        id="cap"
                        name="cap"
                        inputmode="decimal"
                        value=cap.clone().unwrap_or_default()
                    />
                </div>
                <button type="submit" class="button">
                    "Save limit"
                </button>
            </ActionForm>
        </section>
    }
}

/// `/playground/{id}`.
#[component]
pub fn ConversationPage() -> impl IntoView {
    view! {
        <Title text="Conversation" />
        <RequireUser children=|_| view! { <Conversation /> } />
    }
}

/// A notice a plain form post was sent back with: what it says, and
/// whether to point at the credits page.
fn notice_text(code: &str) -> Option<(&'static str, bool)> {
    Some(match code {
        "credits" => (
            "Not enough credits for a reply: add credits to go on.",
            true,
        ),
        "cap" => (
            "This reply could pass your monthly playground limit: raise it on the playground page, or wait for next month.",
            false,
        ),
        "empty" => ("Write a message first.", false),
        "too-long" => ("Keep a message to 20,000 characters.", false),
        "nothing-to-redo" => ("There is no reply to regenerate.", false),
        "unavailable" => (
            "This agent's model cannot be used now; try again later.",
            false,
        ),
        "context" => (
            "This conversation is too long for the agent's model: start a new one.",
            false,
        ),
        "upstream" => (
            "The model's provider could not be reached; try again.",
            false,
        ),
        "budget" => (
            "Your budget in the organization this conversation bills is used up for now: it resets with its next period (see the organization's page), or an owner or admin can raise it.",
            false,
        ),
        "not-member" => (
            "You are no longer a member of the organization this conversation bills: bill it to your own credit instead.",
            false,
        ),
        "course-ended" => (
            "The course this conversation bills has ended: bill it to your own credit instead.",
            false,
        ),
        "suspended" => ("Your account is suspended.", false),
        "internal" => (
            "Something went wrong on our side; it has been logged.",
            false,
        ),
        _ => return None,
    })
}

/// Why a message got no reply, with the way to the credits page when
/// credits were missing.
fn refusal_notice(text: String, credits: bool) -> impl IntoView {
    view! {
        <p class="notice notice-error" role="alert">
            <span>{text}</span>
            {credits
                .then(|| {
                    view! {
                        " "
                        <a href=href::credits()>"See your credits"</a>
                    }
                })}
        </p>
    }
}

/// What the page shows of a reply being generated.
#[derive(Debug, Clone, Default, PartialEq)]
struct Live {
    /// The message sent, shown until the saved conversation is read again.
    sent: Option<String>,
    text: String,
    /// The tools the agent called so far.
    tools: Vec<String>,
    output_tokens: u64,
    credits: String,
    reserved: String,
}

#[component]
fn Conversation() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let (version, set_version) = signal(0u32);
    let conversation = Resource::new(
        move || (id.get(), version.get()),
        |(id, _)| get_conversation(id),
    );
    let rename = ServerAction::<RenameConversation>::new();
    let delete = ServerAction::<DeleteConversation>::new();
    let share = ServerAction::<ShareConversation>::new();
    let revoke = ServerAction::<RevokeConversationShare>::new();
    let bill = ServerAction::<BillConversation>::new();
    // Only a page rendered right after a share form posted without
    // JavaScript finds a link here.
    let flashed = Resource::new(move || id.get(), take_new_share);
    let new_share = Memo::new(move |previous: Option<&Option<NewShare>>| {
        let latest = share.value().get().and_then(Result::ok);
        latest.or_else(|| previous.cloned().flatten())
    });
    let shared_again = Memo::new(move |_| {
        (
            share.version().get(),
            revoke.version().get(),
            bill.version().get(),
        )
    });
    Effect::new(move |_| {
        // A link made or revoked, or the payer changed: the conversation
        // is read again.
        if shared_again.get() != (0, 0, 0) {
            set_version.update(|v| *v += 1);
        }
    });
    let streaming = RwSignal::new(false);
    // Whether the person stopped the reply being generated.
    let stopped = RwSignal::new(false);
    let live = RwSignal::new(Live::default());
    let refused = RwSignal::new(None::<Refusal>);
    let announced = RwSignal::new(String::new());
    let message = NodeRef::<html::Textarea>::new();
    #[cfg(feature = "hydrate")]
    let stopper = StoredValue::new_local(None::<web_sys::AbortController>);
    let notice = Memo::new(move |_| {
        query
            .read()
            .get("notice")
            .and_then(|code| notice_text(&code))
    });

    // Posts a message and reads its reply as it streams (the page's script;
    // a plain form post does the same without it).
    let send = move |action: &'static str, content: String| {
        if streaming.get_untracked() {
            return;
        }
        refused.set(None);
        stopped.set(false);
        live.set(Live {
            sent: (action != "regenerate").then_some(content.clone()),
            ..Live::default()
        });
        streaming.set(true);
        announced.set("Generating a reply.".to_owned());
        #[cfg(feature = "hydrate")]
        {
            use crate::components::reply_stream::post;
            let Ok(controller) = web_sys::AbortController::new() else {
                streaming.set(false);
                return;
            };
            stopper.set_value(Some(controller.clone()));
            let url = href::playground_messages(&id.get_untracked());
            leptos::task::spawn_local(async move {
                let form = [("action", action), ("content", content.as_str())];
                use crate::components::reply_stream::ReplyEvent;
                let result = post(&url, &form, &controller, |event| match event {
                    ReplyEvent::Start { reserved } => live.update(|l| l.reserved = reserved),
                    ReplyEvent::Delta(text) => live.update(|l| l.text.push_str(&text)),
                    ReplyEvent::Tool { name } => live.update(|l| {
                        l.tools.push(name);
                        l.text.clear();
                    }),
                    ReplyEvent::Cost {
                        output_tokens,
                        credits,
                    } => live.update(|l| {
                        l.output_tokens = output_tokens;
                        l.credits = credits;
                    }),
                    ReplyEvent::Done(done) => {
                        announced.set(format!(
                            "Reply {}: {} credits. The conversation has cost {} credits; your balance is {} credits.",
                            if done.status == "stopped" { "stopped" } else { "finished" },
                            done.credits,
                            done.conversation_credits,
                            done.balance,
                        ));
                    }
                    ReplyEvent::Error(message) => refused.set(Some(Refusal {
                        code: "error".to_owned(),
                        message,
                    })),
                })
                .await;
                if let Err(refusal) = result {
                    refused.set(Some(refusal));
                }
                stopper.set_value(None);
                streaming.set(false);
                set_version.update(|v| *v += 1);
                if stopped.get_untracked() {
                    // The server saves a stopped reply once it sees the
                    // stream closed, a moment after: read it again then.
                    for delay in [400, 1500] {
                        set_timeout(
                            move || set_version.update(|v| *v += 1),
                            std::time::Duration::from_millis(delay),
                        );
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (action, content, set_version);
    };
    let stop = move |_| {
        stopped.set(true);
        #[cfg(feature = "hydrate")]
        stopper.with_value(|controller| {
            if let Some(controller) = controller {
                controller.abort();
            }
        });
    };
    let on_send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(area) = message.get() else { return };
        let content = area.value();
        if content.trim().is_empty() {
            refused.set(Some(Refusal {
                code: "empty".to_owned(),
                message: "Write a message first.".to_owned(),
            }));
            return;
        }
        area.set_value("");
        send("send", content);
    };
    let on_regenerate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send("regenerate", String::new());
    };
    let post_url = move || href::playground_messages(&id.get());

    view! {
        <section class="container page conversation-page">
            {move || notice.get().map(|(text, credits)| refusal_notice(text.to_owned(), credits))}
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match conversation.await {
                        Ok(view) => {
                            let shares = SharePanel {
                                share,
                                revoke,
                                new_share,
                                flashed,
                            };
                            conversation_view(view, rename, delete, bill, shares, send).into_any()
                        }
                        Err(e) => load_error(e).into_any(),
                    }
                })}
            </Transition> <p class="visually-hidden" role="status" aria-live="polite">
                {move || announced.get()}
            </p>
            {move || {
                let l = live.get();
                streaming
                    .get()
                    .then(|| {
                        view! {
                            <div class="chat-live">
                                {l
                                    .sent
                                    .map(|sent| {
                                        view! {
                                            <div class="chat-message chat-user">
                                                <p class="chat-text">{sent}</p>
                                            </div>
                                        }
                                    })} <div class="chat-message chat-assistant" aria-busy="true">
                                    {l
                                        .tools
                                        .into_iter()
                                        .map(|name| {
                                            view! {
                                                <p class="chat-tool">{format!("Called {name}")}</p>
                                            }
                                        })
                                        .collect_view()}
                                    <p class="chat-text">{l.text}</p>
                                    <p class="chat-meta live-cost">
                                        {format!(
                                            "Generating… {} tokens · {} credits so far (up to {} reserved)",
                                            l.output_tokens,
                                            if l.credits.is_empty() {
                                                "0".to_owned()
                                            } else {
                                                l.credits
                                            },
                                            if l.reserved.is_empty() {
                                                "…".to_owned()
                                            } else {
                                                l.reserved
                                            },
                                        )}
                                    </p>
                                </div>
                            </div>
                        }
                    })
            }}
            {move || {
                refused
                    .get()
                    .map(|r| {
                        let credits = r.code == "credits";
                        refusal_notice(r.message, credits)
                    })
            }} <form method="post" action=post_url class="chat-composer" on:submit=on_send>
                <input type="hidden" name="action" value="send" />
                <label for="message">"Your message"</label>
                <textarea
                    id="message"
                    name="content"
                    node_ref=message
                    rows="4"
                    maxlength="20000"
                    required
                ></textarea>
                <div class="chat-actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        disabled=move || streaming.get()
                    >
                        "Send"
                    </button>
                    <Show when=move || streaming.get()>
                        <button type="button" class="button" on:click=stop>
                            "Stop"
                        </button>
                    </Show>
                </div>
            </form> <form method="post" action=post_url class="inline-form" on:submit=on_regenerate>
                <input type="hidden" name="action" value="regenerate" />
                <button type="submit" class="button" disabled=move || streaming.get()>
                    "Regenerate the last reply"
                </button>
            </form>
        </section>
    }
}

/// The actions and new link the share panel shows.
#[derive(Clone, Copy)]
struct SharePanel {
    share: ServerAction<ShareConversation>,
    revoke: ServerAction<RevokeConversationShare>,
    new_share: Memo<Option<NewShare>>,
    flashed: Resource<Result<Option<NewShare>, AppError>>,
}

fn conversation_view(
    view: ConversationView,
    rename: ServerAction<RenameConversation>,
    delete: ServerAction<DeleteConversation>,
    bill: ServerAction<BillConversation>,
    panel: SharePanel,
    send: impl Fn(&'static str, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ConversationView {
        id,
        title,
        agent_slug,
        agent_name,
        agent_icon,
        agent_version,
        opening_message,
        example_prompts,
        model,
        price,
        messages,
        credits,
        balance,
        bill_to,
        bill_choices,
        month_spent,
        cap,
        shares,
    } = view;
    let share_panel = share_panel(id.clone(), shares, panel);
    let billing = billing_panel(id.clone(), bill_to.clone(), bill_choices, bill);
    let balance_label = match &bill_to {
        Some(course) if course.course => format!("Left in {}", course.name),
        Some(org) => format!("{}'s pool", org.name),
        None => "Your balance".to_owned(),
    };
    let rename_error = action_error(rename.value());
    let delete_error = action_error(delete.value());
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map(|m| m.text.clone());
    let empty = messages.is_empty();
    let price_line = price.map_or_else(
        || "its model is not served now".to_owned(),
        |p| {
            format!(
                "{} in · {} out credits per million tokens",
                p.input, p.output
            )
        },
    );
    let post_url = href::playground_messages(&id);
    let examples = example_prompts
        .into_iter()
        .map(|prompt| {
            let text = prompt.clone();
            let on_submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send("send", text.clone());
            };
            view! {
                <li>
                    <form method="post" action=post_url.clone() on:submit=on_submit>
                        <input type="hidden" name="action" value="send" />
                        <input type="hidden" name="content" value=prompt.clone() />
                        <button type="submit" class="example-prompt">
                            {prompt}
                        </button>
                    </form>
                </li>
            }
        })
        .collect_view();
    let edit = last_user.map(|text| {
        let on_submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let form = event_target::<leptos::web_sys::HtmlFormElement>(&ev);
            let content = form
                .elements()
                .named_item("content")
                .and_then(|e| {
                    use leptos::wasm_bindgen::JsCast;
                    e.dyn_into::<leptos::web_sys::HtmlTextAreaElement>().ok()
                })
                .map(|area| area.value())
                .unwrap_or_default();
            send("edit", content);
        };
        view! {
            <details class="chat-edit">
                <summary>"Edit your last message"</summary>
                <form method="post" action=post_url.clone() on:submit=on_submit>
                    <input type="hidden" name="action" value="edit" />
                    <label for="edit-content">"Your last message"</label>
                    <textarea id="edit-content" name="content" rows="3" maxlength="20000" required>
                        {text}
                    </textarea>
                    <button type="submit" class="button">
                        "Send instead, and answer again"
                    </button>
                </form>
            </details>
        }
    });
    let (rename_id, delete_id) = (id.clone(), id);
    view! {
        <Title text=title.clone() />
        <PageHeader eyebrow="Conversation" title=title.clone()>
            <a class="button" href=href::playground_list()>
                "All conversations"
            </a>
        </PageHeader>
        <p class="conversation-agent">
            <span class="agent-icon" aria-hidden="true">
                {agent_icon}
            </span>
            <a href=href::agent(&agent_slug)>{agent_name}</a>
            <Badge tone=Tone::Neutral text=format!("Version {agent_version}") />
            <span class="muted">{format!(" {model}: {price_line}")}</span>
        </p>
        <dl class="conversation-costs" aria-label="Costs">
            <div>
                <dt>"This conversation"</dt>
                <dd>{format!("{credits} credits")}</dd>
            </div>
            <div>
                <dt>{balance_label}</dt>
                <dd>{format!("{balance} credits")}</dd>
            </div>
            <div>
                <dt>"Playground this month"</dt>
                <dd>
                    {match cap {
                        Some(cap) => format!("{month_spent} of {cap} credits"),
                        None => format!("{month_spent} credits"),
                    }}
                </dd>
            </div>
        </dl>
        <ol class="chat-log" aria-label="Messages">
            {(!opening_message.is_empty())
                .then(|| {
                    view! {
                        <li class="chat-message chat-assistant chat-opening">
                            <p class="chat-text">{opening_message}</p>
                        </li>
                    }
                })}
            {messages.into_iter().map(message_view).collect_view()}
        </ol>
        {empty
            .then(|| {
                view! {
                    <section aria-labelledby="examples-heading">
                        <h2 id="examples-heading">"Try one of these"</h2>
                        <ul class="example-prompts">{examples}</ul>
                    </section>
                }
            })}
        {edit}
        {billing}
        {share_panel}
        <details class="conversation-manage">
            <summary>"Rename or delete"</summary>
            <FormError error=rename_error />
            <ActionForm action=rename attr:class="inline-form">
                <input type="hidden" name="id" value=rename_id />
                <div class="field">
                    <label for="title">"Title"</label>
                    <input id="title" name="title" value=title maxlength="200" required />
                </div>
                <button type="submit" class="button">
                    "Rename"
                </button>
            </ActionForm>
            <FormError error=delete_error />
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="id" value=delete_id />
                <button type="submit" class="button button-danger">
                    "Delete this conversation"
                </button>
            </ActionForm>
        </details>
    }
}

fn message_view(m: MessageView) -> impl IntoView {
    let assistant = m.role == "assistant";
    let meta = [
        (m.status == "stopped").then(|| "Stopped".to_owned()),
        (m.status == "failed").then(|| "Failed".to_owned()),
        m.tokens.map(|t| format!("{t} tokens")),
        m.credits.map(|c| format!("{c} credits")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let class = if assistant {
        "chat-message chat-assistant"
    } else {
        "chat-message chat-user"
    };
    let label = if assistant { "Agent" } else { "You" };
    let tools = m
        .tools
        .into_iter()
        .map(|tool| {
            view! {
                <details class="chat-tool">
                    <summary>{format!("Called {}", tool.name)}</summary>
                    <p class="chat-tool-label">"Arguments"</p>
                    <pre>
                        <code>{tool.arguments}</code>
                    </pre>
                    <p class="chat-tool-label">"Result"</p>
                    <pre>
                        <code>{tool.result}</code>
                    </pre>
                </details>
            }
        })
        .collect_view();
    let has_text = !m.text.is_empty() || !m.html.is_empty();
    view! {
        <li class=class>
            <p class="visually-hidden">{label}</p>
            {tools}
            {if !has_text {
                ().into_any()
            } else if assistant {
                view! { <div class="chat-text prose" inner_html=m.html></div> }.into_any()
            } else {
                view! { <p class="chat-text">{m.text}</p> }.into_any()
            }}
            {(!meta.is_empty()).then(|| view! { <p class="chat-meta">{meta}</p> })}
        </li>
    }
}

/// What the conversation spends: the caller's own credit or the pool of an
/// organization they belong to (under their budget there), and the form to
/// change it. Shown only to people in an organization.
fn billing_panel(
    id: String,
    bill_to: Option<BillToView>,
    choices: Vec<BillToView>,
    bill: ServerAction<BillConversation>,
) -> Option<impl IntoView> {
    if choices.is_empty() && bill_to.is_none() {
        return None;
    }
    let error = action_error(bill.value());
    let current = bill_to.as_ref().map(|o| o.slug.clone()).unwrap_or_default();
    let summary = match &bill_to {
        Some(course) if course.course => format!("Bills to {} (your course credit)", course.name),
        Some(org) => format!("Bills to {} (organization pool)", org.name),
        None => "Bills to your own credit".to_owned(),
    };
    let options = choices
        .into_iter()
        .map(|org| {
            let selected = org.slug == current;
            view! {
                <option value=org.slug selected=selected>
                    {org.name}
                </option>
            }
        })
        .collect_view();
    Some(view! {
        <details class="conversation-manage conversation-billing" open=bill_to.is_some()>
            <summary>{summary}</summary>
            <p class="muted">
                "Replies spend what this chooses: an organization's pool is spent under your budget there, a course's credit until its term ends."
            </p>
            <FormError error=error />
            <ActionForm action=bill attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="bill-to">"Bill to"</label>
                    <select id="bill-to" name="bill_to">
                        <option value="" selected=current.is_empty()>
                            "My own credit"
                        </option>
                        {options}
                    </select>
                </div>
                <button type="submit" class="button">
                    "Save"
                </button>
            </ActionForm>
        </details>
    })
}

/// Sharing and exporting a conversation: a new link (shown once), the
/// links made so far with a way to revoke each, and the downloads.
fn share_panel(id: String, shares: Vec<ShareView>, panel: SharePanel) -> impl IntoView {
    let SharePanel {
        share,
        revoke,
        new_share,
        flashed,
    } = panel;
    let share_error = action_error(share.value());
    let revoke_error = action_error(revoke.value());
    let query = use_query_map();
    let revoked = Signal::derive(move || query.read().get_str("done") == Some("revoked"));
    let open = !shares.is_empty();
    let links = if shares.is_empty() {
        view! { <p class="muted">"No share links yet."</p> }.into_any()
    } else {
        let list_id = id.clone();
        view! {
            <ul class="share-links" aria-label="Share links">
                {shares
                    .into_iter()
                    .map(move |link| {
                        let id = list_id.clone();
                        let revoke_form = link
                            .active
                            .then(|| {
                                view! {
                                    <ActionForm action=revoke attr:class="inline-form">
                                        <input type="hidden" name="id" value=id.clone() />
                                        <input type="hidden" name="share" value=link.id.clone() />
                                        <button type="submit" class="button button-danger">
                                            "Revoke"
                                        </button>
                                    </ActionForm>
                                }
                            });
                        view! {
                            <li class="share-link">
                                <span>
                                    {format!(
                                        "{} · made {} · {}",
                                        link.audience,
                                        link.created,
                                        link.state,
                                    )}
                                </span>
                                {revoke_form}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let (markdown, json) = (
        href::playground_export(&id, false),
        href::playground_export(&id, true),
    );
    let expiries: Vec<(String, String)> = EXPIRIES
        .iter()
        .map(|(value, label)| ((*value).to_owned(), (*label).to_owned()))
        .collect();
    view! {
        <details class="conversation-share" id="share" open=open>
            <summary>"Share or export"</summary>
            <p class="muted">
                "A share link shows this conversation as it is now, read-only, with the agent's card. Later messages are not shared."
            </p>
            <Notice
                show=revoked
                message="The link is revoked: it no longer opens the conversation."
            />
            <FormError error=revoke_error />
            <Suspense fallback=|| ()>
                {move || {
                    let from_form = new_share.get();
                    Suspend::new(async move {
                        let from_redirect = flashed.await.ok().flatten();
                        from_form.or(from_redirect).map(|link| view! { <NewShareLink link /> })
                    })
                }}
            </Suspense>
            <FormError error=share_error />
            <ActionForm action=share attr:class="form share-form">
                <input type="hidden" name="id" value=id />
                <SelectField
                    label="Who may open it"
                    name="visibility"
                    options=vec![
                        ("public".to_owned(), "Anyone with the link".to_owned()),
                        ("signed_in".to_owned(), "Signed-in users with the link".to_owned()),
                    ]
                    selected="signed_in"
                    error=field_error(share_error, "visibility")
                />
                <SelectField
                    label="Expires"
                    name="expires"
                    options=expiries
                    selected="7"
                    error=field_error(share_error, "expires")
                />
                <button type="submit" class="button">
                    "Make a share link"
                </button>
            </ActionForm>
            <h3>"Links made"</h3>
            {links}
            <h3>"Export"</h3>
            <p class="export-links">
                <a href=markdown download>
                    "Download as Markdown"
                </a>
                " · "
                <a href=json download>
                    "Download as JSON"
                </a>
            </p>
        </details>
    }
}

/// A link just made, shown once with the way to copy it.
#[component]
fn NewShareLink(link: NewShare) -> impl IntoView {
    view! {
        <div class="new-share" role="status">
            <p>
                <strong>"Your share link"</strong>
                " (copy it now: it is not shown again)"
            </p>
            <label class="visually-hidden" for="new-share-url">
                "Share link"
            </label>
            <input id="new-share-url" class="share-url" readonly value=link.url.clone() />
            <a href=link.url>"Open it"</a>
        </div>
    }
}

/// `/shared/{token}`: a shared conversation, read-only, with its agent's
/// card.
#[component]
pub fn SharedPage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let shared = Resource::new(move || token.get(), get_shared);
    view! {
        <Title text="Shared conversation" />
        <section class="container page conversation-page shared-page">
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match shared.await {
                        Ok(view) => shared_view(view).into_any(),
                        Err(AppError::Unauthorized) => {
                            let back = href::shared(&token.get_untracked());
                            view! {
                                <PageHeader
                                    eyebrow="Shared conversation"
                                    title="Sign in to read it"
                                />
                                <p>
                                    "Its owner shared this conversation with signed-in users only. "
                                    <a href=href::sign_in_then(&back)>"Sign in"</a> " or "
                                    <a href=href::sign_up()>"create an account"</a> " to read it."
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => load_error(e).into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn shared_view(view: SharedView) -> impl IntoView {
    let SharedView {
        title,
        agent_slug,
        agent_name,
        agent_icon,
        agent_version,
        agent_summary,
        messages,
    } = view;
    let agent = view! {
        <aside class="card shared-agent" aria-label="Agent">
            <p class="conversation-agent">
                <span class="agent-icon" aria-hidden="true">
                    {agent_icon}
                </span>
                <strong>{agent_name.clone()}</strong>
                <Badge tone=Tone::Neutral text=format!("Version {agent_version}") />
            </p>
            {match agent_summary {
                Some(summary) => {
                    view! {
                        <p>{summary}</p>
                        <a class="button button-primary" href=href::agent(&agent_slug)>
                            {format!("Try {agent_name}")}
                        </a>
                    }
                        .into_any()
                }
                None => {
                    view! { <p class="muted">"This agent is no longer published."</p> }.into_any()
                }
            }}
        </aside>
    };
    let messages = messages
        .into_iter()
        .map(|m| {
            message_view(MessageView {
                position: 0,
                role: m.role,
                text: m.text,
                html: m.html,
                status: "complete".to_owned(),
                tokens: None,
                credits: None,
                tools: Vec::new(),
            })
        })
        .collect_view();
    view! {
        <Title text=title.clone() />
        <PageHeader eyebrow="Shared conversation" title=title />
        {agent}
        <ol class="chat-log" aria-label="Messages">
            {messages}
        </ol>
    }
}
