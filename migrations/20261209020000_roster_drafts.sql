-- A roster file uploaded to a course (our CSV, or a OneRoster 1.1 bundle
-- read as one), kept for its preview until the coordinator invites it: the
-- preview is a page of its own, which works without JavaScript.
create table roster_drafts (
    id uuid primary key,
    cohort_id uuid not null references teams (id),
    -- The roster as our CSV (email, name, student_id).
    roster text not null check (octet_length(roster) <= 2097152),
    file_name text check (file_name is null or length(file_name) between 1 and 255),
    format text not null check (format in ('csv', 'oneroster')),
    created_by uuid not null references users (id),
    created_at timestamptz not null default now(),
    invited_at timestamptz,
    invited bigint check (invited is null or invited >= 0),
    check ((invited_at is null) = (invited is null))
);

create index roster_drafts_cohort_idx on roster_drafts (cohort_id, created_at desc);

-- An approved academic application sets up one institution at most.
create unique index institutions_application_key on institutions (application_id)
    where application_id is not null;
