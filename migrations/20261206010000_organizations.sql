-- Organizations: teams of people who share a credit pool, with roles,
-- invitations, an email-domain rule, and budgets per member that hold on
-- every request.
--
-- Membership is not the organization's alone: a university's institution
-- and its cohorts have members, invitations and email domains too. So the
-- people side is one set of tables over `teams` (kind 'organization',
-- 'institution' or 'cohort'), and what only a business organization has
-- (website, industry, verification, budgets' defaults) is `organizations`,
-- keyed by its team.

create table teams (
    id uuid primary key,
    kind text not null check (kind in ('organization', 'institution', 'cohort')),
    slug text not null check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$'),
    name text not null check (length(name) between 1 and 120 and name = btrim(name)),
    -- Where calendar budget periods (days, weeks, months) begin and end.
    time_zone text not null default 'UTC' check (length(time_zone) between 1 and 64),
    created_by uuid references users (id),
    created_at timestamptz not null default now(),
    unique (kind, slug)
);

create table team_members (
    team_id uuid not null references teams (id),
    user_id uuid not null references users (id),
    role text not null check (role in ('owner', 'admin', 'member', 'coordinator', 'student')),
    joined_at timestamptz not null default now(),
    -- A member's budget: at most `budget_amount` micro-credits of the
    -- team's pool per day, week or calendar month (in the team's time
    -- zone), or in total. None: only the pool and key caps bound them.
    budget_amount bigint check (budget_amount is null or budget_amount >= 0),
    budget_period text check (budget_period in ('day', 'week', 'month', 'total')),
    check ((budget_amount is null) = (budget_period is null)),
    primary key (team_id, user_id)
);

create index team_members_user_idx on team_members (user_id, joined_at);

-- An organization has at least one owner at all times: the last owner can
-- neither leave nor be demoted (checked when the change commits).
create function team_keeps_an_owner() returns trigger
language plpgsql as $$
begin
    if old.role = 'owner'
       and (select t.kind from teams t where t.id = old.team_id) = 'organization'
       and not exists (select 1 from team_members m where m.team_id = old.team_id and m.role = 'owner') then
        raise exception 'an organization keeps at least one owner' using errcode = '23514';
    end if;
    return null;
end;
$$;

create constraint trigger team_members_keep_an_owner after update or delete on team_members
    deferrable initially deferred
    for each row execute function team_keeps_an_owner();

-- Invitations by email. The token is stored as its SHA-256 only; an open
-- invitation is unique per team and address.
create table team_invitations (
    id uuid primary key,
    team_id uuid not null references teams (id),
    email text not null check (email = lower(btrim(email)) and length(email) between 3 and 254),
    role text not null check (role in ('owner', 'admin', 'member', 'coordinator', 'student')),
    token_hash bytea not null unique check (length(token_hash) = 32),
    invited_by uuid references users (id),
    created_at timestamptz not null default now(),
    sent_at timestamptz not null default now(),
    expires_at timestamptz not null,
    accepted_at timestamptz,
    accepted_by uuid references users (id),
    revoked_at timestamptz,
    check (accepted_at is null or revoked_at is null),
    check ((accepted_at is null) = (accepted_by is null))
);

create unique index team_invitations_open_key on team_invitations (team_id, email)
    where accepted_at is null and revoked_at is null;
create index team_invitations_team_idx on team_invitations (team_id, created_at desc);

-- People with a verified address at one of these domains may join as
-- members without an invitation.
create table team_domains (
    team_id uuid not null references teams (id),
    domain text not null check (domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'
                                and length(domain) <= 253),
    created_at timestamptz not null default now(),
    primary key (team_id, domain)
);

create index team_domains_domain_idx on team_domains (domain);

create table organizations (
    team_id uuid primary key references teams (id),
    website text check (website is null or (website ~ '^https?://' and length(website) <= 200)),
    country text not null check (country ~ '^[A-Z]{2}$'),
    industry text not null check (industry in ('finance', 'healthcare', 'logistics', 'manufacturing', 'retail',
                                               'energy', 'cross-industry')),
    verified_at timestamptz,
    verified_by uuid references users (id),
    -- Whether members (not only owners and admins) may create keys billed
    -- to the organization.
    members_create_keys boolean not null default true,
    -- The budget a new member starts with; none: no budget.
    default_budget_amount bigint check (default_budget_amount is null or default_budget_amount >= 0),
    default_budget_period text check (default_budget_period in ('day', 'week', 'month', 'total')),
    check ((default_budget_amount is null) = (default_budget_period is null))
);

-- What each member has spent and holds, per budget period (its first
-- instant; '-infinity' for a budget in total). Past periods stay, so past
-- spending stays visible.
create table member_budget_periods (
    team_id uuid not null references teams (id),
    user_id uuid not null references users (id),
    period_start timestamptz not null,
    spent bigint not null default 0 check (spent >= 0),
    held bigint not null default 0 check (held >= 0),
    primary key (team_id, user_id, period_start)
);

-- A key billed to a team's pool (an organization's key).
alter table api_keys add column team_id uuid references teams (id);
create index api_keys_team_idx on api_keys (team_id, created_at desc) where team_id is not null;

-- A lease under a member's budget: the period whose `held` it counts in.
alter table credit_holds
    add column budget_team uuid,
    add column budget_user uuid,
    add column budget_period timestamptz,
    add constraint credit_holds_budget_check
        check ((budget_period is null) = (budget_team is null) and (budget_team is null) = (budget_user is null));

-- Everything done in a team, for its audit page.
alter table audit_log add column team_id uuid references teams (id);
create index audit_log_team_idx on audit_log (team_id, created_at desc, id desc) where team_id is not null;

-- The time budgets read: now, unless the session sets `lab.now` (tests
-- freeze the clock that way).
create function lab_now() returns timestamptz
language sql stable as $$
    select coalesce(nullif(current_setting('lab.now', true), '')::timestamptz, now())
$$;

-- The first instant of the budget period (`day`, `week` from Monday,
-- `month`, or `total`) holding `p_at`, in the time zone `p_zone`.
create function budget_period_start(p_period text, p_zone text, p_at timestamptz) returns timestamptz
language sql stable as $$
    select case p_period
        when 'total' then '-infinity'::timestamptz
        else date_trunc(p_period, p_at at time zone p_zone) at time zone p_zone
    end
$$;

-- The first instant after the budget period that starts at `p_start`.
create function budget_period_end(p_period text, p_zone text, p_start timestamptz) returns timestamptz
language sql stable as $$
    select case p_period
        when 'total' then 'infinity'::timestamptz
        else ((p_start at time zone p_zone) + ('1 ' || p_period)::interval) at time zone p_zone
    end
$$;

-- Growing a lease on a team's pool also takes room in the member's budget
-- (the key's creator): a lease holds no more than the budget's period has
-- left, the period's `held` counts it, and a lease taken in a period that
-- has ended grows no more (`refused` = 'period_ended': the caller takes a
-- new one). `refused` is 'credits', 'key_cap', 'member_budget' (with the
-- budget's `period` and `resets_at`, the end of the period) or
-- 'not_member' (the key's creator left the team).
drop function ledger_lease_grow(uuid, uuid, uuid, bigint, bigint, interval, uuid);
create function ledger_lease_grow(
    p_account uuid, p_key uuid, p_lease uuid, p_min bigint, p_want bigint, p_ttl interval, p_tx uuid,
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
begin
    -- Not a charge: see the note on durability in the leases migration.
    perform set_config('synchronous_commit', 'off', true);
    taken := 0;
    select a.available, a.owner_kind, a.owner_id into available, v_kind, v_team
    from credit_accounts a where a.id = p_account for update;
    if not found then
        raise exception 'no credit account %', p_account;
    end if;
    if available < p_min then
        refused := 'credits';
        return;
    end if;
    taken := least(p_want, available);
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

-- A charge on a lease under a budget is spent in its period; so is a
-- charge past the lease (an overrun), which the budget cannot refuse once
-- served. A closed lease's unused credit leaves its period's `held`.
create or replace function ledger_lease_charge(p_leases uuid[], p_charges bigint[], p_usage jsonb, p_overruns jsonb)
returns table(lease uuid, account_id uuid, available bigint, collected bigint)
language plpgsql as $$
declare
    v_charged uuid[];
    v_over record;
    v_account uuid;
    v_key uuid;
    v_team uuid;
    v_user uuid;
    v_period timestamptz;
    v_available bigint;
    v_take bigint;
    v_short bigint;
    v_tx uuid;
    v_collected jsonb := '{}';
begin
    if coalesce((select max(c) from unnest(p_charges) c), 0) <= 0 and jsonb_array_length(p_overruns) = 0 then
        perform set_config('synchronous_commit', 'off', true);
    end if;
    with held as (
        update credit_holds h set charged = h.charged + b.charge
        from unnest(p_leases, p_charges) as b(lease, charge)
        where h.id = b.lease and h.lease and h.status = 'open' and h.charged + b.charge <= h.amount
        returning h.id, h.account_id, h.api_key_id, b.charge, h.budget_team, h.budget_user, h.budget_period
    ), budgeted as (
        update member_budget_periods m set held = greatest(m.held - s.total, 0), spent = m.spent + s.total
        from (select held.budget_team, held.budget_user, held.budget_period, sum(held.charge) as total
              from held where held.budget_period is not null
              group by held.budget_team, held.budget_user, held.budget_period) s
        where m.team_id = s.budget_team and m.user_id = s.budget_user and m.period_start = s.budget_period
    ), spent as (
        update api_keys k set held = greatest(k.held - s.total, 0), spent = k.spent + s.total, last_used_at = now()
        from (select held.api_key_id, sum(held.charge) as total from held
              where held.api_key_id is not null group by held.api_key_id) s
        where k.id = s.api_key_id
    ), recorded as (
        insert into usage_records (id, key_id, user_id, account_id, model, endpoint, streamed,
                                   input_tokens, output_tokens, credits, latency_ms, status, hold_id,
                                   counted_by, agent_id, conversation_id)
        select r.id, r.key_id, r.user_id, held.account_id, r.model, r.endpoint, r.streamed,
               r.input_tokens, r.output_tokens, r.credits, r.latency_ms, r.status, held.id,
               r.counted_by, r.agent_id, r.conversation_id
        from jsonb_populate_recordset(null::usage_records, p_usage) r
        join held on held.id = r.hold_id
        on conflict (id) do nothing
    )
    select array_agg(held.id) into v_charged from held;
    if v_charged is null then
        return;
    end if;
    for v_over in
        select o.lease, o.request, o.amount
        from rows from (jsonb_to_recordset(p_overruns) as (lease uuid, request uuid, amount bigint))
             with ordinality as o(lease, request, amount, n)
        where o.lease = any (v_charged) and o.amount > 0
        order by o.n
    loop
        select h.account_id, h.api_key_id, h.budget_team, h.budget_user, h.budget_period
        into v_account, v_key, v_team, v_user, v_period
        from credit_holds h where h.id = v_over.lease;
        select a.available into v_available from credit_accounts a where a.id = v_account for update;
        v_take := least(v_over.amount, v_available);
        if v_take > 0 then
            update credit_accounts a set available = a.available - v_take, reserved = a.reserved + v_take
            where a.id = v_account;
            update credit_holds h set amount = h.amount + v_take, charged = h.charged + v_take
            where h.id = v_over.lease;
            perform ledger_take_lots(v_account, v_over.lease, v_take);
            v_tx := gen_random_uuid();
            insert into ledger_transactions (id, kind, memo)
            values (v_tx, 'reservation', 'lease ' || v_over.lease || ' overrun of request ' || v_over.request);
            insert into ledger_entries (transaction_id, account_id, bucket, amount)
            values (v_tx, v_account, 'available', -v_take), (v_tx, v_account, 'reserved', v_take);
            v_collected := jsonb_set(v_collected, array[v_over.lease::text],
                                     to_jsonb(coalesce((v_collected ->> v_over.lease::text)::bigint, 0) + v_take));
        end if;
        v_short := v_over.amount - v_take;
        if v_short > 0 then
            v_tx := gen_random_uuid();
            insert into ledger_transactions (id, kind, memo)
            values (v_tx, 'uncollected', 'request ' || v_over.request || ' of account ' || v_account);
            insert into ledger_entries (transaction_id, account_id, bucket, amount)
            select v_tx, x.account, 'available', x.amount
            from (values ((select a.id from credit_accounts a where a.owner_kind = 'treasury'), -v_short),
                         ((select a.id from credit_accounts a where a.owner_kind = 'uncollected'), v_short))
                 as x(account, amount);
            update credit_accounts a set available = a.available + v_short where a.owner_kind = 'uncollected';
            update usage_records u set uncollected = v_short where u.id = v_over.request;
        end if;
        if v_key is not null then
            update api_keys k set spent = k.spent + v_over.amount where k.id = v_key;
        end if;
        if v_period is not null then
            update member_budget_periods m set spent = m.spent + v_over.amount
            where m.team_id = v_team and m.user_id = v_user and m.period_start = v_period;
        end if;
    end loop;
    return query
    select u.id, a.id, a.available, coalesce((v_collected ->> u.id::text)::bigint, 0)
    from unnest(v_charged) as u(id)
    join credit_holds h on h.id = u.id
    join credit_accounts a on a.id = h.account_id;
end;
$$;
create or replace function ledger_lease_close(p_lease uuid, p_status text, p_expired_only boolean, p_tx uuid, p_settle_tx uuid)
returns table(account_id uuid, available bigint)
language plpgsql as $$
declare
    v_account uuid;
    v_back bigint;
    v_unposted bigint;
    v_key uuid;
    v_team uuid;
    v_user uuid;
    v_period timestamptz;
    v_treasury uuid;
begin
    perform set_config('synchronous_commit', 'off', true);
    select h.account_id, h.amount - h.charged, h.charged - h.posted, h.api_key_id,
           h.budget_team, h.budget_user, h.budget_period
    into v_account, v_back, v_unposted, v_key, v_team, v_user, v_period
    from credit_holds h
    where h.id = p_lease and h.lease and h.status = 'open' and (not p_expired_only or h.expires_at <= now())
    for update;
    if not found then
        return;
    end if;
    update credit_holds h set status = p_status, closed_at = now(), posted = h.charged where h.id = p_lease;
    update credit_accounts a set reserved = a.reserved - v_unposted - v_back, available = a.available + v_back
    where a.id = v_account;
    if v_unposted > 0 then
        select a.id into v_treasury from credit_accounts a where a.owner_kind = 'treasury';
        if v_treasury is null then
            raise exception 'no treasury account to receive a charge';
        end if;
        insert into ledger_transactions (id, kind, memo) values (p_settle_tx, 'settlement', 'lease ' || p_lease);
        insert into ledger_entries (transaction_id, account_id, bucket, amount)
        values (p_settle_tx, v_account, 'reserved', -v_unposted), (p_settle_tx, v_treasury, 'available', v_unposted);
    end if;
    if v_back > 0 then
        insert into ledger_transactions (id, kind, memo) values (p_tx, 'release', 'lease ' || p_lease || ' ' || p_status);
        insert into ledger_entries (transaction_id, account_id, bucket, amount)
        values (p_tx, v_account, 'reserved', -v_back), (p_tx, v_account, 'available', v_back);
        perform ledger_return_lots(p_lease, v_back);
        if v_key is not null then
            update api_keys k set held = greatest(k.held - v_back, 0) where k.id = v_key;
        end if;
        if v_period is not null then
            update member_budget_periods m set held = greatest(m.held - v_back, 0)
            where m.team_id = v_team and m.user_id = v_user and m.period_start = v_period;
        end if;
    end if;
    return query select a.id, a.available from credit_accounts a where a.id = v_account;
end;
$$;
