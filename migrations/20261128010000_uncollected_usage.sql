-- Usage beyond a request's reservation is charged in full, and what the
-- account cannot pay is written down, never dropped.
--
-- A reservation bounds what an upstream can bill, but an upstream can still
-- report more (one that overshoots `max_tokens`, say). The charge of such a
-- request is then its whole price: the reserved part as before, the rest
-- taken from the account's available credit into its lease and charged with
-- it, and whatever the account does not have is posted as an `uncollected`
-- transaction from the treasury to the one `uncollected` account, whose
-- balance is the total the Lab served without being paid. The request's
-- usage record keeps its full price in `credits` and the unpaid part in
-- `uncollected`, for the admin console.

alter table credit_accounts
    drop constraint credit_accounts_owner_kind_check,
    add constraint credit_accounts_owner_kind_check
        check (owner_kind in ('user', 'organization', 'institution', 'cohort', 'treasury', 'uncollected')),
    drop constraint credit_accounts_check1,
    add constraint credit_accounts_system_has_no_owner_check
        check ((owner_kind in ('treasury', 'uncollected')) = (owner_id is null));

create unique index credit_accounts_one_uncollected on credit_accounts (owner_kind) where owner_kind = 'uncollected';

insert into credit_accounts (id, owner_kind) values (gen_random_uuid(), 'uncollected');

alter table ledger_transactions
    drop constraint ledger_transactions_kind_check,
    add constraint ledger_transactions_kind_check
        check (kind in ('grant', 'transfer', 'allocation', 'reservation', 'settlement',
                        'release', 'refund', 'expiry', 'adjustment', 'uncollected'));

alter table usage_records
    add column uncollected bigint not null default 0,
    add constraint usage_records_uncollected_check check (uncollected >= 0 and uncollected <= credits);

create index usage_records_uncollected_idx on usage_records (created_at desc) where uncollected > 0;

-- As before, and then the overruns: `p_overruns` is a JSON array of
-- `{lease, request, amount}`, the part of a request's price beyond its
-- reservation. Taken in order, each collects what it can of the lease's
-- account's available credit (into the lease, charged at once, posted to
-- the ledger with the lease's other charges) and posts the rest as
-- uncollected. The API key's spending counts the whole price. Returns, per
-- lease charged, what its overruns collected.
drop function ledger_lease_charge(uuid[], bigint[], jsonb);

create function ledger_lease_charge(p_leases uuid[], p_charges bigint[], p_usage jsonb, p_overruns jsonb)
returns table (lease uuid, account_id uuid, available bigint, collected bigint)
language plpgsql as $$
declare
    v_charged uuid[];
    v_over record;
    v_account uuid;
    v_key uuid;
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
        returning h.id, h.account_id, h.api_key_id, b.charge
    ), spent as (
        update api_keys k set held = greatest(k.held - s.total, 0), spent = k.spent + s.total, last_used_at = now()
        from (select held.api_key_id, sum(held.charge) as total from held
              where held.api_key_id is not null group by held.api_key_id) s
        where k.id = s.api_key_id
    ), recorded as (
        insert into usage_records (id, key_id, user_id, account_id, model, endpoint, streamed,
                                   input_tokens, output_tokens, credits, latency_ms, status, hold_id,
                                   counted_by)
        select r.id, r.key_id, r.user_id, held.account_id, r.model, r.endpoint, r.streamed,
               r.input_tokens, r.output_tokens, r.credits, r.latency_ms, r.status, held.id,
               r.counted_by
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
        select h.account_id, h.api_key_id into v_account, v_key from credit_holds h where h.id = v_over.lease;
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
    end loop;
    return query
    select u.id, a.id, a.available, coalesce((v_collected ->> u.id::text)::bigint, 0)
    from unnest(v_charged) as u(id)
    join credit_holds h on h.id = u.id
    join credit_accounts a on a.id = h.account_id;
end;
$$;
