-- Group commit for the inference proxy: many reservations, settlements and
-- releases applied in one database transaction, so that they share one
-- commit (one WAL flush) and, on a hot account, one turn at its row lock.
-- Each item is exactly what `ledger_reserve` or `ledger_close` does alone,
-- with the same checks. The caller orders items by account (an API key
-- belongs to one account), so concurrent batches lock rows in one order.
--
-- Per item, optionally: the API key it spends (its spend cap is checked and
-- its `held`/`spent` kept in this same transaction) and, for a close, the
-- usage record of the request, written with its settlement or release.
--
-- A batch that settles nothing commits without waiting for its WAL flush:
-- a reservation or release lost in a database crash leaves the ledger
-- consistent (the crash rolls back the whole batch; an open hold left
-- behind is released by the sweeper). A settlement is a charge: a batch
-- holding one is acknowledged only once durable.
--
-- Returns one row per item: the hold (reserve: null when refused, with
-- `refused` = 'credits' or 'key_cap'), for a close the hold's account and
-- amount (null: not closed; the caller asks why), and the account's
-- available balance after the item.
create function ledger_apply_batch(
    p_kinds text[],
    p_accounts uuid[],
    p_amounts bigint[],
    p_ttls interval[],
    p_ids uuid[],
    p_keys text[],
    p_txs uuid[],
    p_api_keys uuid[],
    p_usage jsonb[]
)
returns table (ord integer, hold uuid, account_id uuid, held bigint, available bigint, refused text)
language plpgsql as $$
declare
    i integer;
    n integer := coalesce(array_length(p_kinds, 1), 0);
    v_hold uuid;
    v_account uuid;
    v_held bigint;
    v_charge bigint;
begin
    if not ('settle' = any (p_kinds)) then
        perform set_config('synchronous_commit', 'off', true);
    end if;
    for i in 1 .. n loop
        ord := i;
        hold := null;
        account_id := null;
        held := null;
        available := null;
        refused := null;
        if p_kinds[i] = 'reserve' then
            if p_api_keys[i] is not null then
                update api_keys k set held = k.held + p_amounts[i]
                where k.id = p_api_keys[i]
                  and (k.spend_cap is null or k.spent + k.held + p_amounts[i] <= k.spend_cap);
                if not found then
                    refused := 'key_cap';
                end if;
            end if;
            if refused is null then
                v_hold := ledger_reserve(p_accounts[i], p_amounts[i], p_ttls[i], p_ids[i], p_txs[i]);
                if v_hold is null then
                    refused := 'credits';
                    if p_api_keys[i] is not null then
                        update api_keys k set held = k.held - p_amounts[i] where k.id = p_api_keys[i];
                    end if;
                else
                    hold := v_hold;
                    held := p_amounts[i];
                end if;
            end if;
            account_id := p_accounts[i];
        else
            v_charge := case when p_kinds[i] = 'settle' then p_amounts[i] else 0 end;
            select c.account_id, c.held into v_account, v_held
            from ledger_close(
                p_ids[i],
                case p_kinds[i] when 'settle' then 'settled' else 'released' end,
                case p_kinds[i] when 'settle' then p_amounts[i] end,
                p_keys[i], false, p_txs[i]
            ) c;
            hold := p_ids[i];
            held := v_held;
            if v_account is not null then
                account_id := v_account;
                if p_api_keys[i] is not null then
                    update api_keys k
                    set held = greatest(k.held - v_held, 0), spent = k.spent + v_charge, last_used_at = now()
                    where k.id = p_api_keys[i];
                end if;
                if p_usage[i] is not null then
                    insert into usage_records (id, key_id, user_id, account_id, model, endpoint, streamed,
                                               input_tokens, output_tokens, credits, latency_ms, status, hold_id)
                    select r.id, r.key_id, r.user_id, v_account, r.model, r.endpoint, coalesce(r.streamed, false),
                           coalesce(r.input_tokens, 0), coalesce(r.output_tokens, 0), v_charge,
                           coalesce(r.latency_ms, 0), r.status, p_ids[i]
                    from jsonb_populate_record(null::usage_records, p_usage[i]) r
                    on conflict (id) do nothing;
                end if;
            end if;
        end if;
        if account_id is not null then
            select a.available into available from credit_accounts a where a.id = account_id;
        end if;
        return next;
    end loop;
end;
$$;
