-- What each student of a course has spent, how many requests they made and
-- when they last did, kept as their usage is recorded: a course's console
-- lists 1,000 students at once and must not add up a million usage records
-- to do it. A statement-level trigger sees each batch the ledger's writer
-- inserts once, and only rows on enrollment accounts change anything.
alter table enrollments
    add column spent bigint not null default 0 check (spent >= 0),
    add column requests bigint not null default 0 check (requests >= 0),
    add column last_activity timestamptz;

create function enrollment_usage() returns trigger
language plpgsql as $$
begin
    update enrollments e
    set spent = e.spent + u.spent, requests = e.requests + u.requests,
        last_activity = greatest(e.last_activity, u.last_activity)
    from (select a.owner_id as enrollment, sum(r.credits) as spent, count(*) as requests,
                 max(r.created_at) as last_activity
          from inserted r join credit_accounts a on a.id = r.account_id and a.owner_kind = 'enrollment'
          group by a.owner_id) u
    where e.id = u.enrollment;
    return null;
end;
$$;

create trigger usage_records_enrollment_usage after insert on usage_records
    referencing new table as inserted
    for each statement execute function enrollment_usage();
