-- Spending a team's pool without an API key: a member's playground
-- conversation billed to their organization (or, later, their course).
-- Such a lease is bound to the member, whose budget it counts against as a
-- key's lease counts against its creator's; someone not in the team gets
-- 'not_member'.
--
-- `ledger_lease_grow` takes the member (`p_member`, used when `p_key` is
-- null) and is otherwise unchanged.
drop function ledger_lease_grow(uuid, uuid, uuid, bigint, bigint, interval, uuid);
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

-- The team whose pool a conversation spends (null: the user's own credit).
alter table conversations add column bill_to uuid references teams (id);

-- A conversation with the team it bills (its slug and name), at the end.
create or replace view conversation_rows as
select c.id, c.user_id, c.agent_id, c.agent_version, c.title, c.created_at, c.updated_at,
       a.slug as agent_slug, v.name as agent_name, v.icon as agent_icon,
       coalesce((select sum(m.credits) from conversation_messages m where m.conversation_id = c.id), 0)::bigint
           as credits,
       c.bill_to, t.slug as bill_to_slug, t.name as bill_to_name
from conversations c
join agents a on a.id = c.agent_id
join agent_versions v on v.agent_id = c.agent_id and v.number = c.agent_version
left join teams t on t.id = c.bill_to;
