-- Universities and their courses. An institution is a team (kind
-- 'institution') whose admins and coordinators are its members; its pool
-- is a ledger account Lab staff grant to. A course is a cohort (a team of
-- kind 'cohort' under its institution) whose coordinators are its members;
-- its pool is funded from the institution's. Students are not team
-- members: each has an enrollment with a credit account of its own, which
-- receives the course's allocation on joining and gives back what is left
-- at the end of the term.

create table institutions (
    team_id uuid primary key references teams (id),
    country text not null check (country ~ '^[A-Z]{2}$'),
    website text check (website is null or (website ~ '^https?://' and length(website) <= 200)),
    verified_at timestamptz,
    -- The approved academic application it was created from, if any.
    application_id uuid references applications (id)
);

create table cohorts (
    team_id uuid primary key references teams (id),
    institution_id uuid not null references teams (id),
    course_code text not null check (length(course_code) between 1 and 40 and course_code = btrim(course_code)),
    -- The term, as days in the institution's time zone (teams.time_zone):
    -- it starts at the first instant of `term_start` and ends at the first
    -- instant after `term_end`.
    term_start date not null,
    term_end date not null,
    -- Micro-credits each student receives on joining.
    allocation bigint not null check (allocation > 0),
    max_students integer not null check (max_students between 1 and 5000),
    -- Whether only addresses at one of the institution's domains may join.
    require_institution_email boolean not null default true,
    status text not null default 'draft' check (status in ('draft', 'open', 'closed', 'ended')),
    -- The short code students join with (rotatable; shown to coordinators).
    join_code text not null unique check (join_code ~ '^[A-Z2-9]{8}$'),
    ended_at timestamptz,
    -- When the notice of the term's end went to students, and when every
    -- enrollment's credit was back in the institution's pool.
    notice_sent_at timestamptz,
    reclaimed_at timestamptz,
    check (term_end >= term_start),
    check ((status = 'ended') = (ended_at is not null))
);

create index cohorts_institution_idx on cohorts (institution_id, term_start desc);
create index cohorts_ending_idx on cohorts (term_end) where status <> 'ended';

-- A student of a cohort: invited by a roster (an address, perhaps a name
-- and student id) and/or joined (a user). `waiting`: joined, but the
-- cohort could not cover the allocation yet.
create table enrollments (
    id uuid primary key,
    cohort_id uuid not null references teams (id),
    user_id uuid references users (id),
    email text not null check (email = lower(btrim(email)) and length(email) between 3 and 254),
    name text check (name is null or length(name) between 1 and 120),
    student_id text check (student_id is null or length(student_id) between 1 and 64),
    status text not null check (status in ('invited', 'waiting', 'joined', 'ended', 'removed')),
    invited_at timestamptz,
    joined_at timestamptz,
    ended_at timestamptz,
    -- Micro-credits moved to the enrollment's account so far (allocation
    -- and top-ups) and moved back at the end.
    allocated bigint not null default 0 check (allocated >= 0),
    reclaimed bigint not null default 0 check (reclaimed >= 0),
    check ((status in ('joined', 'waiting', 'ended')) <= (user_id is not null))
);

create unique index enrollments_email_key on enrollments (cohort_id, email);
create unique index enrollments_user_key on enrollments (cohort_id, user_id) where user_id is not null;
create index enrollments_user_idx on enrollments (user_id) where user_id is not null;
create index enrollments_cohort_idx on enrollments (cohort_id, status);

-- Enrollment accounts; reclaims are their own kind of transaction.
alter table credit_accounts
    drop constraint credit_accounts_owner_kind_check,
    add constraint credit_accounts_owner_kind_check
        check (owner_kind in ('user', 'organization', 'institution', 'cohort', 'enrollment', 'treasury', 'uncollected'));
alter table ledger_transactions
    drop constraint ledger_transactions_kind_check,
    add constraint ledger_transactions_kind_check
        check (kind in ('grant', 'transfer', 'allocation', 'reservation', 'settlement',
                        'release', 'refund', 'expiry', 'adjustment', 'uncollected', 'reclaim'));

-- A key (or a playground conversation) billed to a course spends the
-- student's enrollment account.
alter table api_keys add column enrollment_id uuid references enrollments (id);
alter table conversations add column enrollment_id uuid references enrollments (id);


-- Growing a lease on an enrollment account: only its student (by key or
-- in the playground), only while joined ('ended' after the term, else
-- 'not_member'). Otherwise as before.
drop function ledger_lease_grow(uuid, uuid, uuid, uuid, bigint, bigint, interval, uuid);
create function ledger_lease_grow(
    p_account uuid, p_key uuid, p_member uuid, p_lease uuid, p_min bigint, p_want bigint, p_ttl interval, p_tx uuid,
    out taken bigint, out available bigint, out refused text, out resets_at timestamptz, out period text
)
language plpgsql as $$
declare
    v_room bigint;
    v_kind text;
    v_team uuid;
    v_user uuid;
    v_budget bigint;
    v_period text;
    v_zone text;
    v_start timestamptz;
    v_lease_period timestamptz;
    v_status text;
begin
    -- Not a charge: see the note on durability in the leases migration.
    perform set_config('synchronous_commit', 'off', true);
    taken := 0;
    select a.available, a.owner_kind, a.owner_id into available, v_kind, v_team
    from credit_accounts a where a.id = p_account for update;
    if not found then
        raise exception 'no credit account %', p_account;
    end if;
    if v_kind = 'enrollment' then
        -- A student's course credit: spent only by the student, and only
        -- while the enrollment is joined.
        select e.status into v_status from enrollments e
        where e.id = v_team
          and e.user_id = coalesce((select k.user_id from api_keys k where k.id = p_key), p_member);
        if v_status is distinct from 'joined' then
            refused := case when v_status = 'ended' then 'ended' else 'not_member' end;
            return;
        end if;
    end if;
    if available < p_min then
        refused := 'credits';
        return;
    end if;
    taken := least(p_want, available);
    v_user := p_member;
    if p_key is not null then
        select case when k.spend_cap is null then null else k.spend_cap - k.spent - k.held end, k.user_id
        into v_room, v_user from api_keys k where k.id = p_key for update;
        if v_room is not null then
            if v_room < p_min then
                taken := 0;
                refused := 'key_cap';
                return;
            end if;
            taken := least(taken, v_room);
        end if;
    end if;
    if v_kind in ('organization', 'institution', 'cohort') then
        select m.budget_amount, m.budget_period, t.time_zone into v_budget, v_period, v_zone
        from team_members m join teams t on t.id = m.team_id
        where m.team_id = v_team and m.user_id = v_user;
        if not found then
            taken := 0;
            refused := 'not_member';
            return;
        end if;
        select h.budget_period into v_lease_period from credit_holds h where h.id = p_lease;
        if v_budget is not null then
            v_start := budget_period_start(v_period, v_zone, lab_now());
            resets_at := nullif(budget_period_end(v_period, v_zone, v_start), 'infinity');
            if found and v_lease_period is distinct from v_start then
                taken := 0;
                refused := 'period_ended';
                return;
            end if;
            insert into member_budget_periods (team_id, user_id, period_start)
            values (v_team, v_user, v_start) on conflict do nothing;
            select v_budget - b.spent - b.held into v_room from member_budget_periods b
            where b.team_id = v_team and b.user_id = v_user and b.period_start = v_start for update;
            if v_room < p_min then
                taken := 0;
                refused := 'member_budget';
                period := v_period;
                return;
            end if;
            taken := least(taken, v_room);
            update member_budget_periods b set held = b.held + taken
            where b.team_id = v_team and b.user_id = v_user and b.period_start = v_start;
        elsif found and v_lease_period is not null then
            -- Taken under a budget since removed: a new lease, without one.
            taken := 0;
            refused := 'period_ended';
            return;
        end if;
    end if;
    if p_key is not null then
        update api_keys k set held = k.held + taken where k.id = p_key;
    end if;
    update credit_accounts a set available = a.available - taken, reserved = a.reserved + taken
    where a.id = p_account;
    available := available - taken;
    insert into credit_holds as h (id, account_id, amount, expires_at, lease, charged, posted, api_key_id,
                                   budget_team, budget_user, budget_period)
    values (p_lease, p_account, taken, now() + p_ttl, true, 0, 0, p_key,
            case when v_start is not null then v_team end, case when v_start is not null then v_user end, v_start)
    on conflict (id) do update set amount = h.amount + excluded.amount,
                                   expires_at = greatest(h.expires_at, excluded.expires_at)
    where h.status = 'open' and h.lease and h.account_id = p_account;
    if not found then
        raise exception 'lease % is closed', p_lease;
    end if;
    perform ledger_take_lots(p_account, p_lease, taken);
    insert into ledger_transactions (id, kind, memo) values (p_tx, 'reservation', 'lease ' || p_lease);
    insert into ledger_entries (transaction_id, account_id, bucket, amount)
    values (p_tx, p_account, 'available', -taken), (p_tx, p_account, 'reserved', taken);
end;
$$;

-- A conversation with the course it bills (the student's enrollment), at the end.
create or replace view conversation_rows as
select c.id, c.user_id, c.agent_id, c.agent_version, c.title, c.created_at, c.updated_at,
       a.slug as agent_slug, v.name as agent_name, v.icon as agent_icon,
       coalesce((select sum(m.credits) from conversation_messages m where m.conversation_id = c.id), 0)::bigint
           as credits,
       c.bill_to, t.slug as bill_to_slug, t.name as bill_to_name,
       c.enrollment_id, ct.slug as course_slug, ct.name as course_name
from conversations c
join agents a on a.id = c.agent_id
join agent_versions v on v.agent_id = c.agent_id and v.number = c.agent_version
left join teams t on t.id = c.bill_to
left join enrollments e on e.id = c.enrollment_id
left join teams ct on ct.id = e.cohort_id;
