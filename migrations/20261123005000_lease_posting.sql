-- A charge against a lease becomes durable as one small row update; the
-- ledger follows within moments.
--
-- A request's charge only needs to be durable before its answer is sent,
-- and what is durable is the lease's `charged`. Moving that credit from the
-- account's reserved balance to the treasury (a settlement transaction) can
-- come a moment later, for all of a lease's charges at once: the portal
-- posts them every two seconds (`ledger_lease_post`), and closing a lease
-- (by its process or by the sweeper) posts what is left. Until then the
-- charged credit is still counted as reserved, so the account never shows
-- more available than it has, and every ledger transaction still balances
-- and is written with the cached balances it moves. `posted` records how
-- much of `charged` is in the ledger; a closed lease has posted everything.
--
-- The lot bookkeeping shared by holds and leases moves into two helpers.

alter table credit_holds
    add column posted bigint;

update credit_holds set posted = charged where lease;

alter table credit_holds
    add constraint credit_holds_posted_check
        check (case when lease then posted is not null and posted >= 0 and posted <= charged
                                    and (status = 'open' or posted = charged)
                    else posted is null end);

-- Takes `p_amount` from `p_account`'s lots, earliest expiry first, and
-- records which lots `p_hold` took it from.
create function ledger_take_lots(p_account uuid, p_hold uuid, p_amount bigint)
returns void
language plpgsql as $$
declare
    v_taken bigint;
begin
    with locked as (
        select l.id, l.remaining, l.expires_at, l.created_at
        from credit_lots l where l.account_id = p_account and l.remaining > 0
        for update
    ), candidates as (
        select id, remaining,
               (sum(remaining) over (order by expires_at nulls last, created_at, id))::bigint as running
        from locked
    ), take as (
        select id, least(remaining, p_amount - (running - remaining)) as amount
        from candidates where running - remaining < p_amount
    ), used as (
        update credit_lots l set remaining = l.remaining - take.amount
        from take where l.id = take.id
        returning l.id, take.amount
    ), recorded as (
        insert into credit_hold_lots as hl (hold_id, lot_id, amount)
        select p_hold, used.id, used.amount from used
        on conflict (hold_id, lot_id) do update set amount = hl.amount + excluded.amount
        returning hl.lot_id
    )
    select coalesce(sum(used.amount), 0) into v_taken from used;
    if v_taken <> p_amount then
        raise exception 'credit lots of account % do not cover its balance (% of %)', p_account, v_taken, p_amount;
    end if;
end;
$$;

-- Gives `p_amount` of what `p_hold` took back to its lots, latest expiry
-- first (what was spent came from the earliest).
create function ledger_return_lots(p_hold uuid, p_amount bigint)
returns void
language plpgsql as $$
begin
    with parts as (
        select hl.lot_id, hl.amount,
               (sum(hl.amount) over (order by l.expires_at desc nulls first, l.created_at desc, l.id desc))::bigint as running
        from credit_hold_lots hl join credit_lots l on l.id = hl.lot_id
        where hl.hold_id = p_hold
    ), back as (
        select lot_id, least(amount, p_amount - (running - amount)) as amount from parts where running - amount < p_amount
    )
    update credit_lots l set remaining = l.remaining + back.amount from back where l.id = back.lot_id;
end;
$$;

-- As before, with the lots taken by the helper.
create or replace function ledger_reserve(p_account uuid, p_amount bigint, p_ttl interval, p_hold uuid, p_tx uuid)
returns uuid
language plpgsql as $$
begin
    update credit_accounts set available = available - p_amount, reserved = reserved + p_amount
    where id = p_account and available >= p_amount;
    if not found then
        return null;
    end if;
    insert into credit_holds (id, account_id, amount, expires_at) values (p_hold, p_account, p_amount, now() + p_ttl);
    perform ledger_take_lots(p_account, p_hold, p_amount);
    insert into ledger_transactions (id, kind, memo) values (p_tx, 'reservation', 'hold ' || p_hold);
    insert into ledger_entries (transaction_id, account_id, bucket, amount)
    values (p_tx, p_account, 'available', -p_amount), (p_tx, p_account, 'reserved', p_amount);
    return p_hold;
end;
$$;

-- As before, with the lots returned by the helper.
create or replace function ledger_close(
    p_hold uuid, p_status text, p_charged bigint, p_key text, p_expired_only boolean, p_tx uuid
)
returns table (account_id uuid, held bigint)
language plpgsql as $$
declare
    v_account uuid;
    v_held bigint;
    v_charge bigint := coalesce(p_charged, 0);
    v_back bigint;
    v_treasury uuid;
begin
    update credit_holds h set status = p_status, charged = p_charged, settle_key = p_key, closed_at = now()
    where h.id = p_hold and h.status = 'open' and not h.lease and h.amount >= v_charge
      and (not p_expired_only or h.expires_at <= now())
    returning h.account_id, h.amount into v_account, v_held;
    if not found then
        return;
    end if;
    v_back := v_held - v_charge;
    if v_charge > 0 then
        select a.id into v_treasury from credit_accounts a where a.owner_kind = 'treasury';
        if v_treasury is null then
            raise exception 'no treasury account to receive a charge';
        end if;
    end if;
    update credit_accounts a set reserved = a.reserved - v_held, available = a.available + v_back where a.id = v_account;
    insert into ledger_transactions (id, kind, memo)
    values (p_tx, case when v_charge > 0 then 'settlement' else 'release' end, 'hold ' || p_hold || ' ' || p_status);
    insert into ledger_entries (transaction_id, account_id, bucket, amount)
    select p_tx, e.account, e.bucket, e.amount
    from (values (v_account, 'reserved', -v_held), (v_account, 'available', v_back), (v_treasury, 'available', v_charge))
         as e(account, bucket, amount)
    where e.amount <> 0;
    if v_back > 0 then
        perform ledger_return_lots(p_hold, v_back);
    end if;
    account_id := v_account;
    held := v_held;
    return next;
end;
$$;

-- As before, with the lots taken by the helper and `posted` starting at 0.
create or replace function ledger_lease_grow(
    p_account uuid, p_key uuid, p_lease uuid, p_min bigint, p_want bigint, p_ttl interval, p_tx uuid,
    out taken bigint, out available bigint, out refused text
)
language plpgsql as $$
declare
    v_room bigint;
begin
    -- Not a charge: see the note on durability in the leases migration.
    perform set_config('synchronous_commit', 'off', true);
    taken := 0;
    select a.available into available from credit_accounts a where a.id = p_account for update;
    if not found then
        raise exception 'no credit account %', p_account;
    end if;
    if available < p_min then
        refused := 'credits';
        return;
    end if;
    taken := least(p_want, available);
    if p_key is not null then
        select case when k.spend_cap is null then null else k.spend_cap - k.spent - k.held end
        into v_room from api_keys k where k.id = p_key for update;
        if v_room is not null then
            if v_room < p_min then
                taken := 0;
                refused := 'key_cap';
                return;
            end if;
            taken := least(taken, v_room);
        end if;
        update api_keys k set held = k.held + taken where k.id = p_key;
    end if;
    update credit_accounts a set available = a.available - taken, reserved = a.reserved + taken
    where a.id = p_account;
    available := available - taken;
    insert into credit_holds as h (id, account_id, amount, expires_at, lease, charged, posted, api_key_id)
    values (p_lease, p_account, taken, now() + p_ttl, true, 0, 0, p_key)
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

-- Records a batch of charges against open leases: each lease's `charged`,
-- the API keys' spending and the requests' usage records (`p_usage`, a JSON
-- array of `usage_records` rows whose `hold_id` is their lease), in one
-- statement. A lease not open, or a charge past its amount, records nothing
-- and is absent from the result. A batch that charges nothing (usage
-- records of failed requests only) commits without waiting for its WAL
-- flush; one that charges is acknowledged only once durable. The ledger
-- side follows with `ledger_lease_post`.
drop function ledger_lease_charge(uuid[], bigint[], uuid[], jsonb);

create function ledger_lease_charge(p_leases uuid[], p_charges bigint[], p_usage jsonb)
returns table (lease uuid, account_id uuid, available bigint)
language plpgsql as $$
begin
    if coalesce((select max(c) from unnest(p_charges) c), 0) <= 0 then
        perform set_config('synchronous_commit', 'off', true);
    end if;
    return query
    with held as (
        update credit_holds h set charged = h.charged + b.charge
        from unnest(p_leases, p_charges) as b(lease, charge)
        where h.id = b.lease and h.lease and h.status = 'open' and h.charged + b.charge <= h.amount
        returning h.id, h.account_id, h.api_key_id, b.charge
    ), spent as (
        update api_keys k set held = greatest(k.held - s.total, 0), spent = k.spent + s.total, last_used_at = now()
        from (select held.api_key_id, sum(held.charge) as total from held
              where held.api_key_id is not null group by held.api_key_id) s
        where k.id = s.api_key_id
    ), recorded as (
        insert into usage_records (id, key_id, user_id, account_id, model, endpoint, streamed,
                                   input_tokens, output_tokens, credits, latency_ms, status, hold_id)
        select r.id, r.key_id, r.user_id, held.account_id, r.model, r.endpoint, coalesce(r.streamed, false),
               coalesce(r.input_tokens, 0), coalesce(r.output_tokens, 0), coalesce(r.credits, 0),
               coalesce(r.latency_ms, 0), r.status, held.id
        from jsonb_populate_recordset(null::usage_records, p_usage) r
        join held on held.id = r.hold_id
        on conflict (id) do nothing
    )
    select held.id, held.account_id, a.available
    from held join credit_accounts a on a.id = held.account_id;
end;
$$;

-- Posts what the open leases `p_leases` have charged since their last
-- posting: per lease one settlement transaction (`p_txs`, by position),
-- reserved → treasury. Returns the leases posted. Like every lease step but
-- a charge, it does not wait for its WAL flush: the charges it posts are
-- already durable, and a lost posting is simply made again.
create function ledger_lease_post(p_leases uuid[], p_txs uuid[])
returns setof uuid
language plpgsql as $$
declare
    v_treasury uuid;
    v_ids uuid[];
    v_accounts uuid[];
    v_amounts bigint[];
    v_txs uuid[];
begin
    perform set_config('synchronous_commit', 'off', true);
    select a.id into v_treasury from credit_accounts a where a.owner_kind = 'treasury';
    if v_treasury is null then
        raise exception 'no treasury account to receive a charge';
    end if;
    with due as (
        select h.id, h.account_id, h.charged, h.charged - h.posted as amount, b.tx
        from credit_holds h join unnest(p_leases, p_txs) as b(lease, tx) on h.id = b.lease
        where h.lease and h.status = 'open' and h.charged > h.posted
        order by h.id
        for update of h
    ), marked as (
        update credit_holds h set posted = due.charged from due where h.id = due.id
    )
    select array_agg(due.id), array_agg(due.account_id), array_agg(due.amount), array_agg(due.tx)
    into v_ids, v_accounts, v_amounts, v_txs
    from due;
    if v_ids is null then
        return;
    end if;
    update credit_accounts a set reserved = a.reserved - s.total
    from (select u.account, sum(u.amount) as total from unnest(v_accounts, v_amounts) as u(account, amount)
          group by u.account) s
    where a.id = s.account;
    insert into ledger_transactions (id, kind, memo)
    select u.tx, 'settlement', 'lease ' || u.id from unnest(v_txs, v_ids) as u(tx, id);
    insert into ledger_entries (transaction_id, account_id, bucket, amount)
    select u.tx, x.account, x.bucket, x.amount
    from unnest(v_txs, v_accounts, v_amounts) as u(tx, account, amount)
    cross join lateral (values (u.account, 'reserved', -u.amount), (v_treasury, 'available', u.amount))
        as x(account, bucket, amount);
    return query select unnest(v_ids);
end;
$$;

-- Closes an open lease: posts what it charged since its last posting
-- (settlement `p_settle_tx`), and gives what was never charged back to the
-- account, to its lots and off its API key (release `p_tx`). With
-- `p_expired_only`, only a lease past its expiry (its process is gone).
-- Returns the account's available balance after, or no row.
drop function ledger_lease_close(uuid, text, boolean, uuid);

create function ledger_lease_close(p_lease uuid, p_status text, p_expired_only boolean, p_tx uuid, p_settle_tx uuid)
returns table (account_id uuid, available bigint)
language plpgsql as $$
declare
    v_account uuid;
    v_back bigint;
    v_unposted bigint;
    v_key uuid;
    v_treasury uuid;
begin
    perform set_config('synchronous_commit', 'off', true);
    select h.account_id, h.amount - h.charged, h.charged - h.posted, h.api_key_id
    into v_account, v_back, v_unposted, v_key
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
    end if;
    return query select a.id, a.available from credit_accounts a where a.id = v_account;
end;
$$;
