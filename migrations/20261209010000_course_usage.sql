-- A course's usage per day (UTC), model and agent, kept as usage is
-- recorded: the coordinator's usage page charts a whole term of a course
-- of hundreds of students without adding up a million usage records. The
-- statement-level trigger that keeps each student's totals keeps these too.
create table cohort_usage_daily (
    cohort_id uuid not null references teams (id),
    day date not null,
    model text not null,
    -- The playground agent the requests came from; none: the API.
    agent_id uuid,
    requests bigint not null check (requests >= 0),
    tokens bigint not null check (tokens >= 0),
    credits bigint not null check (credits >= 0),
    unique nulls not distinct (cohort_id, day, model, agent_id)
);

create or replace function enrollment_usage() returns trigger
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

    insert into cohort_usage_daily as d (cohort_id, day, model, agent_id, requests, tokens, credits)
    select e.cohort_id, (r.created_at at time zone 'UTC')::date, r.model, c.agent_id, count(*),
           sum(r.input_tokens::bigint + r.output_tokens::bigint), sum(r.credits)
    from inserted r
    join credit_accounts a on a.id = r.account_id and a.owner_kind = 'enrollment'
    join enrollments e on e.id = a.owner_id
    left join conversations c on c.id = r.conversation_id
    where r.model <> ''
    group by 1, 2, 3, 4
    on conflict (cohort_id, day, model, agent_id) do update
        set requests = d.requests + excluded.requests,
            tokens = d.tokens + excluded.tokens,
            credits = d.credits + excluded.credits;
    return null;
end;
$$;

-- What was recorded before this table existed.
insert into cohort_usage_daily (cohort_id, day, model, agent_id, requests, tokens, credits)
select e.cohort_id, (r.created_at at time zone 'UTC')::date, r.model, c.agent_id, count(*),
       sum(r.input_tokens::bigint + r.output_tokens::bigint), sum(r.credits)
from usage_records r
join credit_accounts a on a.id = r.account_id and a.owner_kind = 'enrollment'
join enrollments e on e.id = a.owner_id
left join conversations c on c.id = r.conversation_id
where r.model <> ''
group by 1, 2, 3, 4;
