-- Onboarding applications, reviewed by platform admins.
create table applications (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    building text not null check (length(building) between 10 and 2000),
    industry text not null check (industry in ('finance', 'healthcare', 'logistics', 'manufacturing', 'retail', 'energy', 'education', 'other')),
    expected_usage text not null check (expected_usage in ('exploring', 'prototype', 'production')),
    status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
    decided_by uuid references users (id),
    decided_at timestamptz,
    decision_note text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check ((status = 'pending') = (decided_at is null)),
    check (status <> 'rejected' or length(decision_note) > 0)
);

-- At most one application under review per user.
create unique index applications_one_pending on applications (user_id) where status = 'pending';
create index applications_user_idx on applications (user_id, created_at desc);
create index applications_queue_idx on applications (created_at) where status = 'pending';

create trigger applications_set_updated_at before update on applications
    for each row execute function set_updated_at();
