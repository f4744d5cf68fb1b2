-- Conversations with agents in the playground, their messages, and the
-- links that share one; usage records name the agent and conversation a
-- playground call was for; a personal monthly spend cap for the playground.

create table conversations (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    agent_id uuid not null,
    -- The version the conversation runs: it never changes under it.
    agent_version integer not null,
    title text not null check (length(title) between 1 and 200),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    foreign key (agent_id, agent_version) references agent_versions (agent_id, number)
);

create index conversations_user_idx on conversations (user_id, updated_at desc, id);

create table conversation_messages (
    conversation_id uuid not null references conversations (id) on delete cascade,
    position integer not null check (position > 0),
    role text not null check (role in ('user', 'assistant', 'tool')),
    content text not null default '' check (length(content) <= 200000),
    -- An assistant's tool calls ([{id, name, arguments}]); a tool message's
    -- call id.
    tool_calls jsonb,
    tool_call_id text,
    -- An assistant message's model call: its usage record, tokens and
    -- micro-credits charged.
    request_id uuid,
    input_tokens integer check (input_tokens >= 0),
    output_tokens integer check (output_tokens >= 0),
    credits bigint check (credits >= 0),
    status text not null default 'complete' check (status in ('complete', 'stopped', 'failed')),
    created_at timestamptz not null default now(),
    primary key (conversation_id, position)
);

-- A conversation shared by link: a snapshot of it when shared, for
-- everyone (`public`) or signed-in users; the link's token is kept only as
-- its SHA-256.
create table conversation_shares (
    id uuid primary key,
    conversation_id uuid not null references conversations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    token_hash bytea not null unique check (length(token_hash) = 32),
    visibility text not null check (visibility in ('public', 'signed_in')),
    snapshot jsonb not null,
    expires_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null default now()
);

create index conversation_shares_conversation_idx on conversation_shares (conversation_id, created_at desc);

-- A conversation with its agent's name and icon (of the version it runs)
-- and what its replies were charged.
create view conversation_rows as
select c.id, c.user_id, c.agent_id, c.agent_version, c.title, c.created_at, c.updated_at,
       a.slug as agent_slug, v.name as agent_name, v.icon as agent_icon,
       coalesce((select sum(m.credits) from conversation_messages m where m.conversation_id = c.id), 0)::bigint
           as credits
from conversations c
join agents a on a.id = c.agent_id
join agent_versions v on v.agent_id = c.agent_id and v.number = c.agent_version;

-- Usage stays when a conversation is deleted: no foreign key to it.
alter table usage_records
    add column agent_id uuid references agents (id),
    add column conversation_id uuid;

create index usage_records_conversation_idx on usage_records (conversation_id) where conversation_id is not null;

-- Micro-credits a user lets the playground spend in a calendar month (UTC);
-- null: no cap of their own.
alter table users add column playground_cap bigint check (playground_cap is null or playground_cap >= 0);

-- A settled call's usage record carries its agent and conversation.
create or replace function ledger_lease_charge(p_leases uuid[], p_charges bigint[], p_usage jsonb, p_overruns jsonb)
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
