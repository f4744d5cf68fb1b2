-- Reservation and closing of holds as single server-side calls, so that the
-- account's row lock is held only for the work itself, never across client
-- round trips. The Rust side (`ledger::reserve`, `ledger::settle`, …) calls
-- them; their checks are the same as the statements they replace.

-- Holds `p_amount` of `p_account` for `p_ttl`; returns null when the account
-- cannot pay. Credit comes from the earliest-expiring lots first.
create function ledger_reserve(p_account uuid, p_amount bigint, p_ttl interval, p_hold uuid, p_tx uuid)
returns uuid
language plpgsql as $$
declare
    taken bigint;
begin
    update credit_accounts set available = available - p_amount, reserved = reserved + p_amount
    where id = p_account and available >= p_amount;
    if not found then
        return null;
    end if;
    insert into credit_holds (id, account_id, amount, expires_at) values (p_hold, p_account, p_amount, now() + p_ttl);
    with locked as (
        select id, remaining, expires_at, created_at
        from credit_lots where account_id = p_account and remaining > 0
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
        insert into credit_hold_lots (hold_id, lot_id, amount)
        select p_hold, id, amount from used
        returning amount
    )
    select coalesce(sum(amount), 0) into taken from recorded;
    if taken <> p_amount then
        raise exception 'credit lots of account % do not cover its balance (% of %)', p_account, taken, p_amount;
    end if;
    insert into ledger_transactions (id, kind, memo) values (p_tx, 'reservation', 'hold ' || p_hold);
    insert into ledger_entries (transaction_id, account_id, bucket, amount)
    values (p_tx, p_account, 'available', -p_amount), (p_tx, p_account, 'reserved', p_amount);
    return p_hold;
end;
$$;

-- Closes an open hold: charges `p_charged` (null: nothing) to the treasury
-- and returns the rest to the account and to the hold's lots, latest expiry
-- first. With `p_expired_only`, only a hold past its expiry is closed.
-- Returns the hold's account and amount, or no row when it was not open (or
-- the charge exceeds it).
create function ledger_close(
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
    where h.id = p_hold and h.status = 'open' and h.amount >= v_charge and (not p_expired_only or h.expires_at <= now())
    returning h.account_id, h.amount into v_account, v_held;
    if not found then
        return;
    end if;
    v_back := v_held - v_charge;
    if v_charge > 0 then
        select id into v_treasury from credit_accounts where owner_kind = 'treasury';
        if v_treasury is null then
            raise exception 'no treasury account to receive a charge';
        end if;
    end if;
    update credit_accounts set reserved = reserved - v_held, available = available + v_back where id = v_account;
    insert into ledger_transactions (id, kind, memo)
    values (p_tx, case when v_charge > 0 then 'settlement' else 'release' end, 'hold ' || p_hold || ' ' || p_status);
    insert into ledger_entries (transaction_id, account_id, bucket, amount)
    select p_tx, e.account, e.bucket, e.amount
    from (values (v_account, 'reserved', -v_held), (v_account, 'available', v_back), (v_treasury, 'available', v_charge))
         as e(account, bucket, amount)
    where e.amount <> 0;
    if v_back > 0 then
        with parts as (
            select hl.lot_id, hl.amount,
                   (sum(hl.amount) over (order by l.expires_at desc nulls first, l.created_at desc, l.id desc))::bigint as running
            from credit_hold_lots hl join credit_lots l on l.id = hl.lot_id
            where hl.hold_id = p_hold
        ), back as (
            select lot_id, least(amount, v_back - (running - amount)) as amount from parts where running - amount < v_back
        )
        update credit_lots l set remaining = l.remaining + back.amount from back where l.id = back.lot_id;
    end if;
    account_id := v_account;
    held := v_held;
    return next;
end;
$$;
