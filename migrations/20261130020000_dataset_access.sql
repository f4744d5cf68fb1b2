-- Access to a dataset's files beyond "open": terms a user accepts (once per
-- version of the terms), or a request Lab staff approve.
--
-- A dataset's terms are Markdown; changing them makes a new terms version,
-- and an acceptance counts only for the version accepted. An approval
-- dataset's request form asks its `request_fields`
-- (`[{name, label, kind: text|select|country|checkbox, options, required}]`).
-- A user has at most one live request per dataset (pending or approved);
-- a rejected or revoked one stays as history, and they may ask again.

alter table datasets
    add column terms text not null default '' check (length(terms) <= 20000),
    add column terms_version integer not null default 1 check (terms_version > 0),
    add column request_fields jsonb not null default '[]' check (jsonb_typeof(request_fields) = 'array');

create function datasets_terms_version() returns trigger
language plpgsql as $$
begin
    if new.terms is distinct from old.terms then
        new.terms_version := old.terms_version + 1;
    end if;
    return new;
end;
$$;

create trigger datasets_terms_version before update of terms on datasets
    for each row execute function datasets_terms_version();

create table dataset_terms_acceptances (
    dataset_id uuid not null references datasets (id),
    user_id uuid not null references users (id),
    terms_version integer not null check (terms_version > 0),
    accepted_at timestamptz not null default now(),
    -- Where the acceptance came from, as the portal saw it.
    client_addr inet,
    primary key (dataset_id, user_id, terms_version)
);

create table dataset_access_requests (
    id uuid primary key,
    dataset_id uuid not null references datasets (id),
    user_id uuid not null references users (id),
    status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'revoked')),
    -- The request form's answers, by field name.
    answers jsonb not null default '{}' check (jsonb_typeof(answers) = 'object'),
    -- Staff's reason for a rejection or a revocation (optional for an approval).
    reason text check (reason is null or length(reason) between 1 and 1000),
    decided_by uuid references users (id),
    decided_at timestamptz,
    created_at timestamptz not null default now(),
    check ((status = 'pending') = (decided_at is null)),
    check (status not in ('rejected', 'revoked') or reason is not null)
);

create unique index dataset_access_requests_live_idx on dataset_access_requests (dataset_id, user_id)
    where status in ('pending', 'approved');
create index dataset_access_requests_queue_idx on dataset_access_requests (status, created_at);
create index dataset_access_requests_user_idx on dataset_access_requests (user_id, dataset_id, created_at desc);
