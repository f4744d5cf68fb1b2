-- Support requests: a person's question to Lab staff, its thread, staff's
-- internal notes, attachments, canned replies and first-response targets.
--
-- Internal notes live in a table of their own (`support_notes`), not as a
-- flag on the thread's messages: every read a requester's page, API or
-- email makes is over `support_messages`, so a note cannot reach them by a
-- forgotten `where`.

-- How soon staff answer first, per priority.
create table support_sla_targets (
    priority text primary key check (priority in ('low', 'normal', 'high', 'urgent')),
    first_response_minutes integer not null check (first_response_minutes between 1 and 525600)
);

insert into support_sla_targets (priority, first_response_minutes) values
    ('urgent', 60),
    ('high', 240),
    ('normal', 1440),
    ('low', 4320);

create table support_requests (
    id uuid primary key,
    -- What people quote: "request 42".
    number bigint generated always as identity unique,
    requester_id uuid not null references users (id),
    category text not null check (category in ('credits', 'api', 'datasets', 'agents', 'account', 'team', 'other')),
    subject text not null check (length(subject) between 1 and 200 and subject = btrim(subject)),
    status text not null default 'open'
        check (status in ('open', 'waiting_on_staff', 'waiting_on_requester', 'resolved', 'closed', 'reopened')),
    priority text not null default 'normal' references support_sla_targets (priority),
    assignee_id uuid references users (id),
    -- What the portal knew when the request was opened (account, balance,
    -- teams, recent failed requests, the page it came from).
    context jsonb not null default '{}'::jsonb,
    from_page text check (from_page is null or length(from_page) <= 500),
    first_response_due timestamptz not null,
    first_response_at timestamptz,
    rating smallint check (rating between 1 and 5),
    rating_comment text check (rating_comment is null or length(rating_comment) <= 2000),
    check (rating_comment is null or rating is not null),
    resolved_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create trigger support_requests_updated_at before update on support_requests
    for each row execute function set_updated_at();

create index support_requests_requester_idx on support_requests (requester_id, updated_at desc, id desc);
create index support_requests_queue_idx on support_requests (status, updated_at desc, id desc);
create index support_requests_assignee_idx on support_requests (assignee_id, updated_at desc)
    where assignee_id is not null;
create index support_requests_due_idx on support_requests (first_response_due)
    where first_response_at is null;

-- The thread: what the requester and staff wrote to each other, and what
-- the portal says in it (a grant, a status change).
create table support_messages (
    id uuid primary key,
    request_id uuid not null references support_requests (id),
    -- None: the portal itself.
    author_id uuid references users (id),
    from_staff boolean not null,
    body text not null check (length(body) between 1 and 20000),
    created_at timestamptz not null default now()
);

create index support_messages_request_idx on support_messages (request_id, created_at, id);

-- Staff only. Never read by anything the requester sees.
create table support_notes (
    id uuid primary key,
    request_id uuid not null references support_requests (id),
    author_id uuid not null references users (id),
    body text not null check (length(body) between 1 and 20000),
    created_at timestamptz not null default now()
);

create index support_notes_request_idx on support_notes (request_id, created_at, id);

-- Files sent with a message, kept in the content-addressed store that
-- holds dataset files.
create table support_attachments (
    id uuid primary key,
    message_id uuid not null references support_messages (id),
    name text not null check (length(name) between 1 and 128),
    bytes bigint not null check (bytes >= 0),
    sha256 bytea not null check (length(sha256) = 32),
    created_at timestamptz not null default now()
);

create index support_attachments_message_idx on support_attachments (message_id);

create table support_canned_replies (
    id uuid primary key,
    title text not null unique check (length(title) between 1 and 120 and title = btrim(title)),
    body text not null check (length(body) between 1 and 20000),
    created_by uuid references users (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create trigger support_canned_replies_updated_at before update on support_canned_replies
    for each row execute function set_updated_at();

insert into support_canned_replies (id, title, body) values
    ('019a0000-0000-7000-8000-000000000001', 'Credits granted',
     'Hello {{ name }},

We have added credits to your account for request {{ number }}. Your balance is now {{ balance }} credits.

Thank you for building with the Lab.'),
    ('019a0000-0000-7000-8000-000000000002', 'Need the request id',
     'Hello {{ name }},

Could you send us the request id of a call that failed (the `x-request-id` header of the answer, also shown on your usage page)? With it we can see exactly what happened.'),
    ('019a0000-0000-7000-8000-000000000003', 'Resolved, anything else?',
     'Hello {{ name }},

We believe request {{ number }} is resolved. If anything is still not right, reply here and it opens again.');

-- Credit granted from a request: the ledger's grant, linked.
create table support_grants (
    transaction_id uuid primary key references ledger_transactions (id),
    request_id uuid not null references support_requests (id),
    amount bigint not null check (amount > 0),
    granted_by uuid not null references users (id),
    created_at timestamptz not null default now()
);

create index support_grants_request_idx on support_grants (request_id);
