-- Usage records say who counted their tokens, and may have no API key.
--
-- `counted_by` is null when the upstream reported the tokens, else the
-- tokenizer the portal counted them with (`heuristic`, `o200k_base`,
-- `hf:<name>` …). A model call the portal makes for a signed-in user (not
-- through an API key) has no `key_id`.
--
-- `ledger_lease_charge` reads the records the portal sends by column name
-- (one Rust struct, `UsageRecord`, is their only definition) and no longer
-- turns a missing value into 0: a record without one fails the charge
-- loudly through the columns' `not null` constraints.

alter table usage_records
    add column counted_by text check (counted_by is null or length(counted_by) between 1 and 200);

alter table usage_records
    alter column key_id drop not null;

create or replace function ledger_lease_charge(p_leases uuid[], p_charges bigint[], p_usage jsonb)
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
                                   input_tokens, output_tokens, credits, latency_ms, status, hold_id,
                                   counted_by)
        select r.id, r.key_id, r.user_id, held.account_id, r.model, r.endpoint, r.streamed,
               r.input_tokens, r.output_tokens, r.credits, r.latency_ms, r.status, held.id,
               r.counted_by
        from jsonb_populate_recordset(null::usage_records, p_usage) r
        join held on held.id = r.hold_id
        on conflict (id) do nothing
    )
    select held.id, held.account_id, a.available
    from held join credit_accounts a on a.id = held.account_id;
end;
$$;
