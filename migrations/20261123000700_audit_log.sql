-- Who did what to whom, for every admin and coordinator action. Append-only.
create table audit_log (
    id bigint generated always as identity primary key,
    actor_id uuid references users (id),
    action text not null,
    target_type text not null,
    target_id text not null,
    before jsonb,
    after jsonb,
    client_addr inet,
    created_at timestamptz not null default now()
);

create index audit_log_created_idx on audit_log (created_at desc, id desc);
create index audit_log_target_idx on audit_log (target_type, target_id, created_at desc);
create index audit_log_actor_idx on audit_log (actor_id, created_at desc);

create function audit_log_is_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'audit_log is append-only';
end;
$$;

create trigger audit_log_no_update before update or delete on audit_log
    for each statement execute function audit_log_is_append_only();
