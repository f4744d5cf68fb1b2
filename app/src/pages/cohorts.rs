//! Universities' courses: `/institutions/{slug}` (an institution's
//! dashboard for its staff: its pool, its courses with their spend, its
//! staff and a new course), `/courses/{slug}` (a course's console for its
//! coordinators: the pool against what its seats need, the join code and
//! link, opening and closing, funding, top-ups, its students and the end of
//! the term) and `/join`, `/join/{code}` (a student joins with the code).
//!
//! Every form works without JavaScript: a change lands back on the course
//! with `?done=…`, and ending the term asks first at an address of its own
//! (`?end=1`).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::accounts::SessionUser;
use crate::api::cohorts::{
    get_cohort, get_institution, roster_draft, CohortSummary, CohortView, CreateCohort,
    EndCohortTerm, FundCohort, InstitutionView, InviteInstitutionStaff, InviteRoster, JoinCourse,
    RevokeInstitutionInvitation, RosterDraftView, RosterReport, RotateJoinCode, SetCohortStatus,
    StaffInvitationView, StudentView, TopUpStudents, UploadRosterFile,
};
use crate::components::form::{action_error, field_error, kept_fields, FormError, TextField};
use crate::components::guard::RequireUser;
use crate::components::snippets::CodeBlock;
use crate::components::ui::{Badge, ConfirmDialog, EmptyState, Flash, PageHeader, StatTile, Tone};
use crate::domain::cohorts::CohortStatus;
use crate::domain::credits::Credits;
use crate::error::AppError;
use crate::href;

pub(crate) fn credits(micros: i64) -> String {
    crate::format::credits(Credits::from_micros(micros))
}

/// A course's status as a badge.
fn status_badge(status: CohortStatus) -> impl IntoView {
    let tone = match status {
        CohortStatus::Open => Tone::Good,
        CohortStatus::Closed => Tone::Warning,
        CohortStatus::Draft | CohortStatus::Ended => Tone::Neutral,
    };
    view! { <Badge tone text=status.label() /> }
}

/// A student's status (as `status_label` words it) as a badge.
fn student_badge(status: &str) -> impl IntoView {
    let tone = match status {
        "Joined" => Tone::Good,
        "Waiting for credit" => Tone::Warning,
        "Invited" => Tone::Accent,
        _ => Tone::Neutral,
    };
    view! { <Badge tone text=status.to_owned() /> }
}

/// What the page shows when its data could not be loaded: the error, with
/// its HTTP status when rendered on the server.
pub(crate) fn page_error(title: &'static str, error: AppError) -> impl IntoView {
    crate::pages::error_status(&error);
    view! {
        <PageHeader title />
        <p class="form-error" role="alert">
            {error.to_string()}
        </p>
    }
}

/// A labelled input with an element id of its own (a page with several
/// forms repeats field names), a hint written for the page, and the
/// action's error for it.
fn amount_field(
    id: &'static str,
    label: &'static str,
    hint: String,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            if error.get().is_some() {
                format!("{hint_id} {error_id}")
            } else {
                hint_id.clone()
            }
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name="amount"
                type="text"
                inputmode="decimal"
                autocomplete="off"
                required=true
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
            />
            <p class="field-hint" id=hint_id>
                {hint}
            </p>
            <Show when=move || error.get().is_some()>
                <p class="field-error" id=error_id.clone()>
                    {move || error.get()}
                </p>
            </Show>
        </div>
    }
}

/// `/institutions/{slug}`.
#[component]
pub fn InstitutionPage() -> impl IntoView {
    view! {
        <Title text="Institution" />
        <RequireUser children=|_| view! { <Institution /> } />
    }
}

#[component]
fn Institution() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    // A new course sends the browser to it: the institution is not read
    // again (a failed one keeps what was typed).
    let create = ServerAction::<CreateCohort>::new();
    let invite = ServerAction::<InviteInstitutionStaff>::new();
    let revoke = ServerAction::<RevokeInstitutionInvitation>::new();
    let institution = Resource::new(
        move || (slug.get(), invite.version().get(), revoke.version().get()),
        |(slug, _, _)| get_institution(slug),
    );
    view! {
        <section class="container page institution-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match institution.await {
                        Ok(institution) => {
                            view! {
                                <Title text=institution.name.clone() />
                                {institution_header(&institution)}
                                {institution_stats(&institution)}
                                {courses_section(institution.cohorts.clone())}
                                {staff_section(&institution, invite, revoke)}
                                <NewCourseForm institution=institution.slug.clone() create />
                            }
                                .into_any()
                        }
                        Err(e) => page_error("Institution", e).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn institution_header(institution: &InstitutionView) -> impl IntoView {
    let domains = institution
        .domains
        .iter()
        .map(|d| format!("@{d}"))
        .collect::<Vec<_>>()
        .join(", ");
    let lead = format!(
        "Your courses, their students and what they spend. Terms follow {}; students' addresses: {}.",
        institution.time_zone,
        if domains.is_empty() { "any" } else { &domains }
    );
    let role = if institution.is_admin {
        "You are an admin"
    } else {
        "You are a coordinator"
    };
    view! {
        <PageHeader
            eyebrow="Institution"
            title=institution.name.clone()
            title_extra=view! { <Badge tone=Tone::Accent text=role /> }.into_any()
            lead
        />
    }
}

fn institution_stats(institution: &InstitutionView) -> impl IntoView {
    let students: i64 = institution.cohorts.iter().map(|c| c.students).sum();
    let open = institution
        .cohorts
        .iter()
        .filter(|c| c.status == CohortStatus::Open)
        .count();
    view! {
        <div class="stat-grid">
            <StatTile
                label="Credit pool"
                value=credits(institution.pool)
                unit="credits"
                hint="Granted by the Lab. Courses are funded from it, and what their students leave unused comes back when a term ends."
            />
            <StatTile
                label="Courses"
                value=institution.cohorts.len().to_string()
                hint=format!("{open} open for joining")
            />
            <StatTile
                label="Students"
                value=crate::format::grouped(students)
                hint="In every course, joined or invited."
            />
        </div>
    }
}

fn courses_section(cohorts: Vec<CohortSummary>) -> impl IntoView {
    let body = if cohorts.is_empty() {
        view! {
            <EmptyState title="No courses yet">
                <p>
                    "Create the first below. A new course starts in draft: fund it from the institution's pool, then open it and hand its join link to your students."
                </p>
            </EmptyState>
        }
        .into_any()
    } else {
        view! {
            <div class="table-wrap" role="region" aria-label="Courses table" tabindex="0">
                <table class="data-table">
                    <caption class="visually-hidden">
                        "Courses, with their students and credit"
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col">"Course"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Term"</th>
                            <th scope="col">"Students"</th>
                            <th scope="col">"Allocated"</th>
                            <th scope="col">"Spent"</th>
                            <th scope="col">"Pool"</th>
                        </tr>
                    </thead>
                    <tbody>{cohorts.into_iter().map(course_row).collect_view()}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="org-section" aria-labelledby="courses-heading">
            <h2 id="courses-heading">"Courses"</h2>
            {body}
        </section>
    }
}

fn course_row(course: CohortSummary) -> impl IntoView {
    view! {
        <tr data-course=course.slug.clone()>
            <th scope="row">
                <a href=href::course(&course.slug)>{course.name.clone()}</a>
                <span class="muted member-email">{course.course_code.clone()}</span>
            </th>
            <td data-label="Status">{status_badge(course.status)}</td>
            <td data-label="Term" class="nowrap">
                {course.term.clone()}
            </td>
            <td data-label="Students" class="num">
                {crate::format::grouped(course.students)}
            </td>
            <td data-label="Allocated" class="num">
                {credits(course.allocated)}
            </td>
            <td data-label="Spent" class="num">
                {credits(course.spent)}
            </td>
            <td data-label="Pool" class="num">
                {credits(course.pool)}
            </td>
        </tr>
    }
}

fn staff_section(
    institution: &InstitutionView,
    invite: ServerAction<InviteInstitutionStaff>,
    revoke: ServerAction<RevokeInstitutionInvitation>,
) -> impl IntoView {
    let staff = institution.staff.clone();
    let lead = if institution.is_admin {
        "Admins and coordinators run the institution's courses. Invite them by email: the link works for that address once they sign in (or sign up) with it."
    } else {
        "Admins and coordinators run the institution's courses; its admins invite them."
    };
    let admin = institution.is_admin.then(|| {
        staff_invitations(
            institution.slug.clone(),
            institution.invitations.clone(),
            invite,
            revoke,
        )
    });
    view! {
        <section class="org-section" aria-labelledby="staff-heading">
            <h2 id="staff-heading">"Staff"</h2>
            <p class="muted">{lead}</p>
            <div class="table-wrap" role="region" aria-label="Staff table" tabindex="0">
                <table class="data-table">
                    <caption class="visually-hidden">"Staff, with their roles"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Role"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {staff
                            .into_iter()
                            .map(|person| {
                                view! {
                                    <tr>
                                        <th scope="row">{person.name.clone()}</th>
                                        <td data-label="Email">{person.email.clone()}</td>
                                        <td data-label="Role">{staff_role(&person.role)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            {admin}
        </section>
    }
}

fn staff_role(role: &str) -> &'static str {
    match role {
        "admin" => "Admin",
        "coordinator" => "Coordinator",
        _ => "Member",
    }
}

/// The admins' invitation form and the open invitations.
fn staff_invitations(
    slug: String,
    invitations: Vec<StaffInvitationView>,
    invite: ServerAction<InviteInstitutionStaff>,
    revoke: ServerAction<RevokeInstitutionInvitation>,
) -> impl IntoView {
    let error = action_error(invite.value());
    let revoke_error = action_error(revoke.value());
    let sent = move || {
        matches!(invite.value().get(), Some(Ok(())))
            .then(|| view! { <Flash tone=Tone::Good>"The invitation is on its way."</Flash> })
    };
    let list = (!invitations.is_empty()).then(|| {
        let slug = slug.clone();
        view! {
            <h3>"Open invitations"</h3>
            <FormError error=revoke_error />
            <ul class="plain-list" data-testid="staff-invitations">
                {invitations
                    .into_iter()
                    .map(|i| {
                        let what = format!(
                            "{} as {}, until {}",
                            i.email,
                            staff_role(&i.role).to_lowercase(),
                            i.expires,
                        );
                        let hidden = format!(" the invitation of {}", i.email);
                        let slug = slug.clone();
                        view! {
                            <li>
                                {what} " " <ActionForm action=revoke attr:class="inline-form">
                                    <input type="hidden" name="slug" value=slug />
                                    <input type="hidden" name="id" value=i.id.clone() />
                                    <button type="submit" class="button button-small">
                                        "Revoke"
                                        <span class="visually-hidden">{hidden}</span>
                                    </button>
                                </ActionForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    view! {
        <h3>"Invite staff"</h3>
        {sent}
        <ActionForm action=invite attr:class="form inline-fields">
            <FormError error />
            <input type="hidden" name="slug" value=slug.clone() />
            <TextField
                label="Email"
                name="email"
                kind="email"
                required=true
                autocomplete="off"
                error=field_error(error, "email")
            />
            <div class="field">
                <label for="staff-role">"Role"</label>
                <select id="staff-role" name="role">
                    <option value="coordinator" selected=true>
                        "Coordinator: runs the courses they create"
                    </option>
                    <option value="admin">"Admin: runs every course and invites staff"</option>
                </select>
            </div>
            <div class="actions">
                <button type="submit" class="button">
                    "Send invitation"
                </button>
            </div>
        </ActionForm>
        {list}
    }
}

#[component]
fn NewCourseForm(institution: String, create: ServerAction<CreateCohort>) -> impl IntoView {
    let error = action_error(create.value());
    let kept = kept_fields(CreateCohort::PATH);
    // Ticked at first; a failed post without JavaScript keeps its choice.
    let require_email = kept.is_empty() || kept.get("require_institution_email").is_some();
    view! {
        <section class="card" aria-labelledby="new-course-heading">
            <h2 id="new-course-heading">"New course"</h2>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <FormError error />
                <input type="hidden" name="institution" value=institution />
                <TextField
                    label="Name"
                    name="name"
                    required=true
                    maxlength=120
                    autocomplete="off"
                    hint="As students know it, like Introduction to Machine Learning."
                    value=kept.get("name").unwrap_or_default()
                    error=field_error(error, "name")
                />
                <TextField
                    label="Course code"
                    name="course_code"
                    required=true
                    maxlength=40
                    autocomplete="off"
                    hint="Like CS3244."
                    value=kept.get("course_code").unwrap_or_default()
                    error=field_error(error, "course_code")
                />
                <TextField
                    label="Term starts"
                    name="term_start"
                    kind="date"
                    required=true
                    value=kept.get("term_start").unwrap_or_default()
                    error=field_error(error, "term_start")
                />
                <TextField
                    label="Term ends"
                    name="term_end"
                    kind="date"
                    required=true
                    hint="At the end of this day students' keys stop, and the credit they did not use goes back to the institution."
                    value=kept.get("term_end").unwrap_or_default()
                    error=field_error(error, "term_end")
                />
                <TextField
                    label="Credits per student"
                    name="allocation"
                    required=true
                    autocomplete="off"
                    hint="What each student receives on joining; up to 6 decimals."
                    value=kept.get("allocation").unwrap_or_default()
                    error=field_error(error, "allocation")
                />
                <TextField
                    label="Most students"
                    name="max_students"
                    kind="number"
                    required=true
                    autocomplete="off"
                    hint="From 1 to 5,000. The course's pool covers every seat with this many allocations."
                    value=kept.get("max_students").unwrap_or_default()
                    error=field_error(error, "max_students")
                />
                <div class="field field-checkbox">
                    <input
                        type="checkbox"
                        id="require_institution_email"
                        name="require_institution_email"
                        value="on"
                        checked=require_email
                    />
                    <label for="require_institution_email">
                        "Only students with an address at the institution's email domains may join"
                    </label>
                </div>
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        disabled=move || create.pending().get()
                    >
                        "Create course"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// `/courses/{slug}`.
#[component]
pub fn CoursePage() -> impl IntoView {
    view! {
        <Title text="Course" />
        <RequireUser children=|_| view! { <Course /> } />
    }
}

/// What a `?done=` after a change says.
fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "The course is created, in draft: fund it, then open it for joining.",
        "open" => "The course is open: students join with its code or link.",
        "closed" => "The course is closed to new students. Those in it keep their credit until the term ends.",
        "draft" => "The course is back in draft: nobody joins until it opens.",
        "rotated" => "The course has a new join code and link; the old ones no longer work.",
        "funded" => "The credit moved from the institution's pool to the course's. Students waiting for credit received theirs.",
        "topped-up" => "The students are topped up from the course's pool.",
        "ended" => "The term is over: students' keys stopped, and the credit they did not use went back to the institution.",
        "invited" => "The roster is uploaded: each new address got an email with the join link.",
        _ => return None,
    })
}

fn done_flash() -> impl IntoView {
    let query = use_query_map();
    move || {
        let q = query.read();
        let text = q.get_str("done").and_then(done_text);
        let failed = q.get_str("__err").is_some();
        (!failed)
            .then_some(text)
            .flatten()
            .map(|text| view! { <Flash tone=Tone::Good>{text}</Flash> })
    }
}

/// Every action of the course page, so one change reads it again.
#[derive(Clone, Copy)]
struct CourseActions {
    status: ServerAction<SetCohortStatus>,
    rotate: ServerAction<RotateJoinCode>,
    fund: ServerAction<FundCohort>,
    /// Every joined student's top-up and each student's own: one action,
    /// so a failed post without JavaScript shows its error once.
    top_up: ServerAction<TopUpStudents>,
    end: ServerAction<EndCohortTerm>,
}

impl CourseActions {
    fn new() -> Self {
        Self {
            status: ServerAction::new(),
            rotate: ServerAction::new(),
            fund: ServerAction::new(),
            top_up: ServerAction::new(),
            end: ServerAction::new(),
        }
    }

    fn versions(self) -> [usize; 5] {
        [
            self.status.version().get(),
            self.rotate.version().get(),
            self.fund.version().get(),
            self.top_up.version().get(),
            self.end.version().get(),
        ]
    }
}

#[component]
fn Course() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let actions = CourseActions::new();
    let course = Resource::new(
        move || (slug.get(), actions.versions()),
        |(slug, _)| get_cohort(slug),
    );
    let errors = [
        action_error(actions.status.value()),
        action_error(actions.rotate.value()),
        action_error(actions.end.value()),
    ];
    view! {
        <section class="container page course-page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || {
                    let end = query.read().get_str("end") == Some("1");
                    Suspend::new(async move {
                        match course.await {
                            Ok(course) => {
                                let running = course.status != CohortStatus::Ended;
                                view! {
                                    <Title text=course.name.clone() />
                                    {course_header(&course)}
                                    {done_flash()}
                                    {errors.map(|error| view! { <FormError error /> })}
                                    {(end && running).then(|| confirm_end(&course, actions.end))}
                                    {course_stats(&course)}
                                    {joining_section(&course, actions)}
                                    {running.then(|| funding_section(&course, actions.fund))}
                                    {students_section(&course, actions.top_up)}
                                    {running
                                        .then(|| {
                                            view! { <RosterSection slug=course.slug.clone() /> }
                                        })}
                                    {running.then(|| end_section(&course))}
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    {page_error("Course", e)}
                                    <p>
                                        <a href=href::dashboard()>"Back to your dashboard"</a>
                                    </p>
                                }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// A roster: a CSV file (email, name, student id), a OneRoster 1.1 bundle
/// or pasted text, uploaded (a plain form: it works without JavaScript) and
/// kept; the course page then previews it (`?roster=<id>`): each row's
/// fate before anyone is invited.
#[component]
fn RosterSection(slug: String) -> impl IntoView {
    let query = use_query_map();
    let error = roster_upload_error();
    let file_error = field_error(error, "file");
    let pasted_error = field_error(error, "roster");
    let draft = move || query.read().get("roster").filter(|d| !d.is_empty());
    let preview_slug = slug.clone();
    let upload_path = <UploadRosterFile as ServerFn>::PATH;
    view! {
        <section class="card" aria-labelledby="roster-heading">
            <h2 id="roster-heading">"Invite a roster"</h2>
            <p class="muted">
                "Upload a CSV file whose first row names its columns (email, and optionally name and student_id), or a OneRoster 1.1 CSV export (its .zip, or its users.csv). You see every row checked before anyone is invited; each new address then gets an email with the join link, and uploading again invites nobody twice."
            </p>
            {move || {
                draft()
                    .map(|draft| {
                        view! { <RosterPreview slug=preview_slug.clone() draft /> }
                    })
            }}
            <form method="post" action=upload_path enctype="multipart/form-data" class="form">
                <FormError error />
                <input type="hidden" name="slug" value=slug />
                <div class="field">
                    <label for="roster-file">"Roster file"</label>
                    <input
                        id="roster-file"
                        name="file"
                        type="file"
                        accept=".csv,.zip,text/csv,application/zip"
                        aria-invalid=move || file_error.get().map(|_| "true")
                        aria-describedby="roster-file-hint roster-file-error"
                    />
                    <p class="field-hint" id="roster-file-hint">
                        "CSV (UTF-8) or a OneRoster .zip, at most 2 MiB."
                    </p>
                    <p class="field-error" id="roster-file-error">
                        {move || file_error.get()}
                    </p>
                </div>
                <div class="field">
                    <label for="roster-class">"Class (OneRoster only)"</label>
                    <input
                        id="roster-class"
                        name="class"
                        autocomplete="off"
                        aria-describedby="roster-class-hint"
                    />
                    <p class="field-hint" id="roster-class-hint">
                        "The class code or sourcedId to import, when the export lists several classes."
                    </p>
                </div>
                <div class="field">
                    <label for="roster-text">"Or paste the roster"</label>
                    <textarea
                        id="roster-text"
                        name="roster"
                        rows=6
                        spellcheck="false"
                        autocomplete="off"
                        class="code"
                        aria-invalid=move || pasted_error.get().map(|_| "true")
                        aria-describedby="roster-text-error"
                        placeholder="email,name,student_id\nann@uni.edu,Ann Lee,A0123456"
                    ></textarea>
                    <p class="field-error" id="roster-text-error">
                        {move || pasted_error.get()}
                    </p>
                </div>
                <button type="submit" class="button">
                    "Check the roster"
                </button>
            </form>
        </section>
    }
}

/// The error of the last roster upload, when the server sent the browser
/// back with it in the URL (what a form posted without JavaScript gets).
fn roster_upload_error() -> Signal<Option<AppError>> {
    use leptos::server_fn::error::ServerFnUrlError;
    let query = use_query_map();
    Signal::derive(move || {
        let query = query.read();
        if query.get_str("__path") != Some(<UploadRosterFile as ServerFn>::PATH) {
            return None;
        }
        query
            .get_str("__err")
            .map(ServerFnUrlError::<AppError>::decode_err)
    })
}

/// An uploaded roster, row by row, and the button that invites it.
#[component]
fn RosterPreview(slug: String, draft: String) -> impl IntoView {
    let invite = ServerAction::<InviteRoster>::new();
    let invite_error = action_error(invite.value());
    let slug_for_invite = slug.clone();
    let preview = Resource::new(
        move || (slug.clone(), draft.clone(), invite.version().get()),
        |(slug, draft, _)| roster_draft(slug, draft),
    );
    view! {
        <Suspense fallback=|| {
            view! { <p class="muted">"Checking the roster…"</p> }
        }>
            {move || {
                let slug = slug_for_invite.clone();
                Suspend::new(async move {
                    match preview.await {
                        Ok(draft) => roster_report(draft, slug, invite, invite_error).into_any(),
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

fn roster_report(
    draft: RosterDraftView,
    slug: String,
    invite: ServerAction<InviteRoster>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let RosterReport {
        rows, to_invite, ..
    } = draft.report;
    let source = if draft.file_name.is_empty() {
        "Pasted roster".to_owned()
    } else {
        draft.file_name.clone()
    };
    let kind = if draft.oneroster { " (OneRoster)" } else { "" };
    let summary = match draft.invited {
        Some(invited) => format!("{source}{kind}: invited {invited} students by email."),
        None => format!(
            "{source}{kind}, uploaded {}: {to_invite} of {} rows would be invited.",
            draft.uploaded,
            rows.len()
        ),
    };
    let invited = draft.invited.is_some();
    view! {
        <h3>"Preview"</h3>
        <p role="status" data-testid="roster-summary">
            {summary}
        </p>
        <FormError error />
        <div class="table-wrap" role="region" aria-label="The roster, row by row" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"The roster, row by row"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Student id"</th>
                        <th scope="col">"What happens"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let tone = if row.left_out { Tone::Bad } else { Tone::Neutral };
                            let note = row
                                .elsewhere
                                .then_some(" (in another course of the institution too)");
                            view! {
                                <tr>
                                    <td data-label="Line" class="num">
                                        {row.line}
                                    </td>
                                    <td data-label="Email">{row.email}</td>
                                    <td data-label="Name">{row.name}</td>
                                    <td data-label="Student id">{row.student_id}</td>
                                    <td data-label="What happens">
                                        <Badge tone text=row.status />
                                        {note}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {(to_invite > 0 && !invited)
            .then(|| {
                view! {
                    <ActionForm action=invite attr:class="inline-form">
                        <input type="hidden" name="slug" value=slug />
                        <input type="hidden" name="draft" value=draft.id.clone() />
                        <button type="submit" class="button button-primary">
                            {format!("Invite {to_invite} students")}
                        </button>
                    </ActionForm>
                }
            })}
    }
}

fn course_header(course: &CohortView) -> impl IntoView {
    let email = if course.require_institution_email {
        " Only the institution's email addresses may join."
    } else {
        ""
    };
    let lead = format!(
        "{} at {}, {} to {} ({}). Each student receives {} credits on joining; at most {} students.{}",
        course.course_code,
        course.institution_name,
        course.term_start,
        course.term_end,
        course.time_zone,
        credits(course.allocation),
        crate::format::grouped(course.max_students),
        email,
    );
    let back = href::institution(&course.institution_slug);
    let back_label = format!("Back to {}", course.institution_name);
    let (usage, audit) = (
        href::course_usage(&course.slug),
        href::course_audit(&course.slug),
    );
    view! {
        <PageHeader
            eyebrow="Course"
            title=course.name.clone()
            title_extra=status_badge(course.status).into_any()
            lead
        >
            <a href=usage class="button">
                "Usage"
            </a>
            <a href=audit class="button">
                "Audit trail"
            </a>
            <a href=back class="button">
                {back_label}
            </a>
        </PageHeader>
    }
}

fn course_stats(course: &CohortView) -> impl IntoView {
    let pool_hint = if course.needs == 0 {
        "Every seat has its credit already.".to_owned()
    } else if course.pool >= course.needs {
        format!(
            "Covers the {} credits its open seats need.",
            credits(course.needs)
        )
    } else {
        format!(
            "Fund {} more credits to cover every open seat.",
            credits(course.needs - course.pool)
        )
    };
    let students_hint = format!(
        "of {} seats · {} active this week · {} invited · {} waiting for credit",
        crate::format::grouped(course.max_students),
        crate::format::grouped(course.active),
        crate::format::grouped(course.invited),
        crate::format::grouped(course.waiting),
    );
    view! {
        <div class="stat-grid">
            <StatTile
                label="Course pool"
                value=credits(course.pool)
                unit="credits"
                hint=pool_hint
            />
            <StatTile
                label="Open seats need"
                value=credits(course.needs)
                unit="credits"
                hint="What the seats nobody has taken yet will receive when students join."
            />
            <StatTile
                label="Students joined"
                value=crate::format::grouped(course.joined)
                hint=students_hint
            />
        </div>
    }
}

fn joining_section(course: &CohortView, actions: CourseActions) -> impl IntoView {
    let status = course.status;
    let state = match status {
        CohortStatus::Draft => "The course is in draft: nobody can join yet. Open it when its pool is funded.",
        CohortStatus::Open => "Students join with this code on the portal's join page, or by opening the link, signed in.",
        CohortStatus::Closed => "The course is closed: the code and the link take nobody new. Students in it keep their credit.",
        CohortStatus::Ended => "The term is over: nobody joins, and students' keys have stopped.",
    };
    let running = status != CohortStatus::Ended;
    let slug = course.slug.clone();
    let (code, link) = (course.join_code.clone(), course.join_url.clone());
    let change = running.then(|| {
        let (next, button) = if status == CohortStatus::Open {
            ("closed", "Close to new students")
        } else {
            ("open", "Open for joining")
        };
        let (slug_a, slug_b) = (slug.clone(), slug.clone());
        view! {
            <div class="actions">
                <ActionForm action=actions.status attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug_a />
                    <input type="hidden" name="status" value=next />
                    <button type="submit" class="button button-primary">
                        {button}
                    </button>
                </ActionForm>
                <ActionForm action=actions.rotate attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug_b />
                    <button type="submit" class="button">
                        "New code"
                        <span class="visually-hidden">" and link; the old ones stop working"</span>
                    </button>
                </ActionForm>
            </div>
        }
    });
    view! {
        <section class="org-section" aria-labelledby="joining-heading">
            <h2 id="joining-heading">"Joining"</h2>
            <p>{state}</p>
            {running
                .then(|| {
                    view! {
                        <h3>"Join code"</h3>
                        <CodeBlock label="join code" code=code />
                        <h3>"Join link"</h3>
                        <CodeBlock label="join link" code=link />
                    }
                })}
            {change}
        </section>
    }
}

fn funding_section(course: &CohortView, action: ServerAction<FundCohort>) -> impl IntoView {
    let error = action_error(action.value());
    let hint = format!(
        "Moved from {}'s pool to this course's; up to 6 decimals.",
        course.institution_name
    );
    let waiting = (course.waiting > 0).then(|| {
        let text = match course.waiting {
            1 => {
                "1 student is waiting for credit: funding the course gives them theirs.".to_owned()
            }
            n => format!(
                "{} students are waiting for credit: funding the course gives them theirs.",
                crate::format::grouped(n)
            ),
        };
        view! { <p class="notice">{text}</p> }
    });
    let (slug, key) = (course.slug.clone(), course.form_key.clone());
    view! {
        <section class="org-section card" aria-labelledby="fund-heading">
            <h2 id="fund-heading">"Fund the course"</h2>
            {waiting}
            <ActionForm action attr:class="form" attr:novalidate=true>
                <FormError error />
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="idempotency_key" value=key />
                {amount_field("fund-amount", "Credits", hint, field_error(error, "amount"))}
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        disabled=move || action.pending().get()
                    >
                        "Fund course"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// The explanation of a failed top-up, above the top-up forms: the forms
/// share one action, so no one form's field is marked.
fn top_up_error(error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <div class="form-error-summary" role="alert" aria-live="assertive">
            {move || { error.get().map(|e| view! { <p class="form-error">{e.explanation()}</p> }) }}
        </div>
    }
}

fn students_section(course: &CohortView, action: ServerAction<TopUpStudents>) -> impl IntoView {
    let running = course.status != CohortStatus::Ended;
    let error = action_error(action.value());
    let top_up_all = (running && course.joined > 0).then(|| {
        let hint = match course.joined {
            1 => "From the course's pool, to its 1 joined student; up to 6 decimals.".to_owned(),
            n => format!(
                "From the course's pool, to each of its {} joined students; up to 6 decimals.",
                crate::format::grouped(n)
            ),
        };
        let (slug, key) = (course.slug.clone(), course.form_key.clone());
        view! {
            <ActionForm
                action
                attr:class="form card"
                attr:novalidate=true
                attr:aria-labelledby="top-up-heading"
            >
                <h3 id="top-up-heading">"Top up every joined student"</h3>
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="students" value="all" />
                <input type="hidden" name="idempotency_key" value=key />
                {amount_field(
                    "top-up-amount",
                    "Credits for each student",
                    hint,
                    Signal::derive(|| None),
                )}
                <div class="actions">
                    <button type="submit" class="button" disabled=move || action.pending().get()>
                        "Top up every joined student"
                    </button>
                </div>
            </ActionForm>
        }
    });
    let table = if course.students.is_empty() {
        view! {
            <EmptyState title="No students yet">
                <p>
                    "Open the course and hand out its join link or code: students appear here as they join."
                </p>
            </EmptyState>
        }
        .into_any()
    } else {
        let rows = course
            .students
            .iter()
            .cloned()
            .map(|student| student_row(course, student, running, action))
            .collect_view();
        view! {
            <div class="table-wrap" role="region" aria-label="Students table" tabindex="0">
                <table class="data-table students-table">
                    <caption class="visually-hidden">
                        "Students, with what they received, spent and have left"
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Student id"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Allocated"</th>
                            <th scope="col">"Spent"</th>
                            <th scope="col">"Remaining"</th>
                            <th scope="col">"Requests"</th>
                            <th scope="col">"Last activity"</th>
                            <th scope="col">
                                <span class="visually-hidden">"Top up"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="org-section" aria-labelledby="students-heading">
            <h2 id="students-heading">"Students"</h2>
            {top_up_error(error)}
            {top_up_all}
            {table}
        </section>
    }
}

/// A student's own top-up key: the page's, told apart per student, so two
/// students topped up from one page are two top-ups.
fn student_key(form_key: &str, student: &str) -> String {
    match (
        uuid::Uuid::parse_str(form_key),
        uuid::Uuid::parse_str(student),
    ) {
        (Ok(key), Ok(student)) => {
            uuid::Uuid::from_u128(key.as_u128() ^ student.as_u128()).to_string()
        }
        _ => form_key.to_owned(),
    }
}

fn student_row(
    course: &CohortView,
    student: StudentView,
    running: bool,
    action: ServerAction<TopUpStudents>,
) -> impl IntoView {
    let who = if student.name.is_empty() {
        student.email.clone()
    } else {
        student.name.clone()
    };
    let top_up = (running && student.status == "Joined").then(|| {
        let label = format!("Credits to add for {who}");
        let hidden = format!(" {who}");
        let key = student_key(&course.form_key, &student.id);
        let (slug, id) = (course.slug.clone(), student.id.clone());
        view! {
            <ActionForm action attr:class="inline-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="students" value=id />
                <input type="hidden" name="idempotency_key" value=key />
                <input
                    name="amount"
                    size="6"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="Credits"
                    aria-label=label
                />
                " "
                <button type="submit" class="button button-small">
                    "Top up"
                    <span class="visually-hidden">{hidden}</span>
                </button>
            </ActionForm>
        }
    });
    let near_limit = student.near_limit.then(|| {
        view! {
            " "
            <Badge tone=Tone::Warning text="Near its limit" />
        }
    });
    view! {
        <tr data-student=student.email.clone()>
            <th scope="row">
                <a href=href::course_student(&course.slug, &student.id)>{who.clone()}</a>
            </th>
            <td data-label="Email">{student.email.clone()}</td>
            <td data-label="Student id">
                {if student.student_id.is_empty() {
                    "—".to_owned()
                } else {
                    student.student_id.clone()
                }}
            </td>
            <td data-label="Status">{student_badge(&student.status)} {near_limit}</td>
            <td data-label="Allocated" class="num">
                {credits(student.allocated)}
            </td>
            <td data-label="Spent" class="num">
                {credits(student.spent)}
            </td>
            <td data-label="Remaining" class="num">
                {credits(student.remaining)}
            </td>
            <td data-label="Requests" class="num">
                {crate::format::grouped(student.requests)}
            </td>
            <td data-label="Last activity" class="nowrap">
                {student.last_activity.clone().unwrap_or_else(|| "Never".to_owned())}
            </td>
            <td class="row-actions">{top_up}</td>
        </tr>
    }
}

fn end_section(course: &CohortView) -> impl IntoView {
    let href = format!(
        "{}#end-heading",
        href::with_query(&href::course(&course.slug), &[("end", "1")])
    );
    let text = format!(
        "The term ends by itself after {} ({}). Ending it now stops every student's keys at once, and the credit they did not use goes back to {}.",
        course.term_end, course.time_zone, course.institution_name
    );
    view! {
        <section class="org-section" aria-labelledby="end-section-heading">
            <h2 id="end-section-heading">"End the term"</h2>
            <p>{text}</p>
            <a href=href class="button" data-noscroll=true>
                "End the term now…"
            </a>
        </section>
    }
}

fn confirm_end(course: &CohortView, action: ServerAction<EndCohortTerm>) -> impl IntoView {
    let (slug, back) = (course.slug.clone(), href::course(&course.slug));
    let title = format!("End {} now?", course.name);
    let text = format!(
        "Students' keys stop working at once, and nobody can join any more. What they did not spend, and the course's pool, go back to {}'s pool. This cannot be undone.",
        course.institution_name
    );
    view! {
        <ConfirmDialog heading_id="end-heading" title cancel_href=back.clone()>
            <p>{text}</p>
            <ActionForm action attr:class="confirm-actions">
                <input type="hidden" name="slug" value=slug />
                <button type="submit" class="button button-danger">
                    "End the term"
                </button>
                <a href=back class="button" data-noscroll=true>
                    "Cancel"
                </a>
            </ActionForm>
        </ConfirmDialog>
    }
}

/// `/join` and `/join/{code}`: a student joins a course with its code (the
/// link fills it in). Signed-out visitors sign in first and come back.
#[component]
pub fn JoinPage() -> impl IntoView {
    view! {
        <Title text="Join a course" />
        <RequireUser children=|user| view! { <Join user /> } />
    }
}

#[component]
fn Join(user: SessionUser) -> impl IntoView {
    let params = use_params_map();
    let join = ServerAction::<JoinCourse>::new();
    let error = action_error(join.value());
    let kept = kept_fields(JoinCourse::PATH);
    let code = kept
        .get("code")
        .or_else(|| params.read_untracked().get("code"))
        .unwrap_or_default();
    let who = format!(
        "You join as {}. A course may take only its institution's email addresses: if it asks for one, sign in with that address.",
        user.email
    );
    view! {
        <section class="container page narrow join-page">
            <PageHeader
                eyebrow="Courses"
                title="Join a course"
                lead="Type the code your coordinator gave you. The course's credit is yours to use until its term ends."
            />
            <ActionForm action=join attr:class="form" attr:novalidate=true>
                <FormError error />
                <TextField
                    label="Course code"
                    name="code"
                    required=true
                    maxlength=20
                    autocomplete="off"
                    hint="8 letters and digits, like KX7M-P2QD; case, spaces and hyphens do not matter."
                    value=code
                    error=field_error(error, "code")
                />
                <p class="muted">{who}</p>
                <div class="actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        disabled=move || join.pending().get()
                    >
                        "Join course"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}
