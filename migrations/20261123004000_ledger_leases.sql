-- Leases: the request path's reservations, made in memory.
--
-- A lease is an open hold that a portal process takes on an account (and,
-- for the inference proxy, on the API key spending it) and reserves from in
-- memory, request by request, without a database round trip. What its
-- requests are charged is posted against it durably, in batches: `charged`
-- grows while the lease stays open, and each charge is a settlement
-- transaction (reserved → treasury) written with the requests' usage
-- records. Closing a lease returns what was never charged to the account
-- and to its lots. If its process dies, the lease simply expires: the
-- sweeper closes it like any hold, and the charges already posted stand,
-- so nothing served is forgotten and nothing unserved is charged.
--
-- Durability: only a charge must survive a crash before its answer is
-- sent, so only a batch of charges waits for its WAL flush. Taking,
-- growing, renewing and closing a lease commit without waiting: if the
-- database loses one in a crash, the ledger is still consistent (a lost
-- lease or growth means charges against it fail and are not served; a
-- lost close leaves the lease to the sweeper), and since the WAL is
-- written in order, a durable charge makes everything before it durable.

alter table credit_holds
    add column lease boolean not null default false,
    add column api_key_id uuid references api_keys (id),
    drop constraint credit_holds_check2,
    add constraint credit_holds_charged_check
        check (case when lease then charged is not null and status in ('open', 'released', 'expired')
                    else (status = 'settled') = (charged is not null) end);

-- Takes `p_min` to `p_want` more of `p_account`'s credit into the lease
-- `p_lease` (created when new), as much as the account (and the spend cap of
-- `p_key`, if any) allows. Refuses, moving nothing, when not even `p_min`
-- is there: `refused` is then 'credits' or 'key_cap'. Returns the amount
-- taken and the account's available balance after.
create function ledger_lease_grow(
    p_account uuid, p_key uuid, p_lease uuid, p_min bigint, p_want bigint, p_ttl interval, p_tx uuid,
    out taken bigint, out available bigint, out refused text
)
language plpgsql as $$
declare
    v_room bigint;
    v_lots bigint;
begin
    -- Not a charge: see the note on durability at the top.
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
    insert into credit_holds as h (id, account_id, amount, expires_at, lease, charged, api_key_id)
    values (p_lease, p_account, taken, now() + p_ttl, true, 0, p_key)
    on conflict (id) do update set amount = h.amount + excluded.amount,
                                   expires_at = greatest(h.expires_at, excluded.expires_at)
    where h.status = 'open' and h.lease and h.account_id = p_account;
    if not found then
        raise exception 'lease % is closed', p_lease;
    end if;
    with locked as (
        select l.id, l.remaining, l.expires_at, l.created_at
        from credit_lots l where l.account_id = p_account and l.remaining > 0
        for update
    ), candidates as (
        select id, remaining,
               (sum(remaining) over (order by expires_at nulls last, created_at, id))::bigint as running
        from locked
    ), take as (
        select id, least(remaining, taken - (running - remaining)) as amount
        from candidates where running - remaining < taken
    ), used as (
        update credit_lots l set remaining = l.remaining - take.amount
        from take where l.id = take.id
        returning l.id, take.amount
    ), recorded as (
        insert into credit_hold_lots as hl (hold_id, lot_id, amount)
        select p_lease, used.id, used.amount from used
        on conflict (hold_id, lot_id) do update set amount = hl.amount + excluded.amount
        returning hl.lot_id
    )
    select coalesce(sum(used.amount), 0) into v_lots from used;
    if v_lots <> taken then
        raise exception 'credit lots of account % do not cover its balance (% of %)', p_account, v_lots, taken;
    end if;
    insert into ledger_transactions (id, kind, memo) values (p_tx, 'reservation', 'lease ' || p_lease);
    insert into ledger_entries (transaction_id, account_id, bucket, amount)
    values (p_tx, p_account, 'available', -taken), (p_tx, p_account, 'reserved', taken);
end;
$$;

-- Posts a batch of charges against open leases, set-based: per lease one
-- settlement transaction (its reserved credit → the treasury), the accounts'
-- and API keys' balances once per batch, and the requests' usage records
-- (`p_usage`, a JSON array of `usage_records` rows whose `hold_id` is their
-- lease). A lease not open, or a charge past its amount, posts nothing and
-- is absent from the result. A batch that charges nothing (usage records of
-- failed requests only) commits without waiting for its WAL flush; one that
-- charges is acknowledged only once durable.
create function ledger_lease_charge(p_leases uuid[], p_charges bigint[], p_txs uuid[], p_usage jsonb)
returns table (lease uuid, account_id uuid, available bigint)
language plpgsql as $$
declare
    v_treasury uuid;
    v_ids uuid[];
    v_accounts uuid[];
    v_keys uuid[];
    v_charges bigint[];
    v_txs uuid[];
begin
    if coalesce((select max(c) from unnest(p_charges) c), 0) <= 0 then
        perform set_config('synchronous_commit', 'off', true);
    else
        select a.id into v_treasury from credit_accounts a where a.owner_kind = 'treasury';
        if v_treasury is null then
            raise exception 'no treasury account to receive a charge';
        end if;
    end if;
    with held as (
        update credit_holds h set charged = h.charged + b.charge
        from unnest(p_leases, p_charges, p_txs) as b(lease, charge, tx)
        where h.id = b.lease and h.lease and h.status = 'open' and h.charged + b.charge <= h.amount
        returning h.id, h.account_id, h.api_key_id, b.charge, b.tx
    )
    select array_agg(held.id), array_agg(held.account_id), array_agg(held.api_key_id), array_agg(held.charge), array_agg(held.tx)
    into v_ids, v_accounts, v_keys, v_charges, v_txs
    from held;
    if v_ids is null then
        return;
    end if;
    update credit_accounts a set reserved = a.reserved - s.total
    from (select u.account, sum(u.charge) as total from unnest(v_accounts, v_charges) as u(account, charge) group by u.account) s
    where a.id = s.account;
    if exists (select 1 from unnest(v_keys) k where k is not null) then
        update api_keys k set held = greatest(k.held - s.total, 0), spent = k.spent + s.total, last_used_at = now()
        from (select u.key, sum(u.charge) as total from unnest(v_keys, v_charges) as u(key, charge)
              where u.key is not null group by u.key) s
        where k.id = s.key;
    end if;
    insert into ledger_transactions (id, kind, memo)
    select u.tx, 'settlement', 'lease ' || u.id from unnest(v_txs, v_ids, v_charges) as u(tx, id, charge) where u.charge > 0;
    insert into ledger_entries (transaction_id, account_id, bucket, amount)
    select u.tx, x.account, x.bucket, x.amount
    from unnest(v_txs, v_accounts, v_charges) as u(tx, account, charge)
    cross join lateral (values (u.account, 'reserved', -u.charge), (v_treasury, 'available', u.charge)) as x(account, bucket, amount)
    where u.charge > 0;
    if jsonb_array_length(p_usage) > 0 then
        insert into usage_records (id, key_id, user_id, account_id, model, endpoint, streamed,
                                   input_tokens, output_tokens, credits, latency_ms, status, hold_id)
        select r.id, r.key_id, r.user_id, u.account, r.model, r.endpoint, coalesce(r.streamed, false),
               coalesce(r.input_tokens, 0), coalesce(r.output_tokens, 0), coalesce(r.credits, 0),
               coalesce(r.latency_ms, 0), r.status, u.id
        from jsonb_populate_recordset(null::usage_records, p_usage) r
        join unnest(v_ids, v_accounts) as u(id, account) on u.id = r.hold_id
        on conflict (id) do nothing;
    end if;
    return query
    select u.id, u.account, a.available
    from unnest(v_ids, v_accounts) as u(id, account) join credit_accounts a on a.id = u.account;
end;
$$;

-- Closes an open lease: what was never charged goes back to the account
-- (and to its lots, latest expiry first) and off its API key. With
-- `p_expired_only`, only a lease past its expiry (its process is gone).
-- Returns the account's available balance after, or no row.
create function ledger_lease_close(p_lease uuid, p_status text, p_expired_only boolean, p_tx uuid)
returns table (account_id uuid, available bigint)
language plpgsql as $$
declare
    v_account uuid;
    v_back bigint;
    v_key uuid;
begin
    perform set_config('synchronous_commit', 'off', true);
    update credit_holds h set status = p_status, closed_at = now()
    where h.id = p_lease and h.lease and h.status = 'open' and (not p_expired_only or h.expires_at <= now())
    returning h.account_id, h.amount - h.charged, h.api_key_id into v_account, v_back, v_key;
    if not found then
        return;
    end if;
    if v_back > 0 then
        update credit_accounts a set reserved = a.reserved - v_back, available = a.available + v_back
        where a.id = v_account;
        insert into ledger_transactions (id, kind, memo) values (p_tx, 'release', 'lease ' || p_lease || ' ' || p_status);
        insert into ledger_entries (transaction_id, account_id, bucket, amount)
        values (p_tx, v_account, 'reserved', -v_back), (p_tx, v_account, 'available', v_back);
        with parts as (
            select hl.lot_id, hl.amount,
                   (sum(hl.amount) over (order by l.expires_at desc nulls first, l.created_at desc, l.id desc))::bigint as running
            from credit_hold_lots hl join credit_lots l on l.id = hl.lot_id
            where hl.hold_id = p_lease
        ), back as (
            select lot_id, least(amount, v_back - (running - amount)) as amount from parts where running - amount < v_back
        )
        update credit_lots l set remaining = l.remaining + back.amount from back where l.id = back.lot_id;
        if v_key is not null then
            update api_keys k set held = greatest(k.held - v_back, 0) where k.id = v_key;
        end if;
    end if;
    return query select a.id, a.available from credit_accounts a where a.id = v_account;
end;
$$;

-- Keeps the leases of a live process from expiring.
create function ledger_lease_renew(p_leases uuid[], p_ttl interval)
returns setof uuid
language plpgsql as $$
begin
    perform set_config('synchronous_commit', 'off', true);
    return query
    update credit_holds h set expires_at = greatest(h.expires_at, now() + p_ttl)
    where h.id = any (p_leases) and h.lease and h.status = 'open'
    returning h.id;
end;
$$;

-- The per-request group commit is replaced by leases.
drop function ledger_apply_batch(text[], uuid[], bigint[], interval[], uuid[], text[], uuid[], uuid[], jsonb[]);
