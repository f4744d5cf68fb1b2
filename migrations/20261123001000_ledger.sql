-- Token credits: a double-entry ledger in integer micro-credits.
--
-- Every movement is one ledger transaction whose entries sum to zero. Each
-- account has two buckets, `available` and `reserved`; the account row caches
-- both balances and is updated in the same database transaction as the
-- entries. The platform treasury is where granted credits come from and where
-- spent and expired credits go; its balance (minus the credits in circulation)
-- is the sum of its entries and is not cached, so that grants and settlements
-- never queue on its row.

create table credit_accounts (
    id uuid primary key,
    owner_kind text not null check (owner_kind in ('user', 'organization', 'institution', 'cohort', 'treasury')),
    owner_id uuid,
    available bigint not null default 0,
    reserved bigint not null default 0 check (reserved >= 0),
    created_at timestamptz not null default now(),
    check (owner_kind = 'treasury' or available >= 0),
    check ((owner_kind = 'treasury') = (owner_id is null))
);

create unique index credit_accounts_owner_key on credit_accounts (owner_kind, owner_id) where owner_id is not null;
create unique index credit_accounts_one_treasury on credit_accounts (owner_kind) where owner_kind = 'treasury';

create table ledger_transactions (
    id uuid primary key,
    kind text not null check (kind in ('grant', 'transfer', 'allocation', 'reservation', 'settlement',
                                       'release', 'refund', 'expiry', 'adjustment')),
    -- A retried request with the same key returns the first result.
    idempotency_key text unique check (idempotency_key is null or length(idempotency_key) between 1 and 200),
    memo text,
    actor_id uuid references users (id),
    created_at timestamptz not null default now()
);

create index ledger_transactions_created_idx on ledger_transactions (created_at desc);

create table ledger_entries (
    id bigint generated always as identity primary key,
    transaction_id uuid not null references ledger_transactions (id),
    account_id uuid not null references credit_accounts (id),
    bucket text not null check (bucket in ('available', 'reserved')),
    amount bigint not null check (amount <> 0),
    created_at timestamptz not null default now()
);

create index ledger_entries_account_idx on ledger_entries (account_id, created_at desc, id desc);
create index ledger_entries_transaction_idx on ledger_entries (transaction_id);

-- Entries of a transaction must sum to zero, checked when it commits.
create function ledger_transaction_balances() returns trigger
language plpgsql as $$
declare
    total numeric;
begin
    select coalesce(sum(amount), 0) into total from ledger_entries where transaction_id = new.transaction_id;
    if total <> 0 then
        raise exception 'ledger transaction % does not balance (sum %)', new.transaction_id, total;
    end if;
    return null;
end;
$$;

create constraint trigger ledger_entries_balance after insert on ledger_entries
    deferrable initially deferred
    for each row execute function ledger_transaction_balances();

-- The ledger is append-only.
create function ledger_is_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'the ledger is append-only';
end;
$$;

create trigger ledger_entries_append_only before update or delete or truncate on ledger_entries
    for each statement execute function ledger_is_append_only();
create trigger ledger_transactions_append_only before update or delete or truncate on ledger_transactions
    for each statement execute function ledger_is_append_only();

-- Granted credit, by expiry. Spending takes the earliest-expiring lot first;
-- the expiry job moves what is left of an expired lot back to the treasury.
create table credit_lots (
    id uuid primary key,
    account_id uuid not null references credit_accounts (id),
    transaction_id uuid not null references ledger_transactions (id),
    original bigint not null check (original > 0),
    remaining bigint not null check (remaining >= 0 and remaining <= original),
    expires_at timestamptz,
    created_at timestamptz not null default now()
);

create index credit_lots_spend_idx on credit_lots (account_id, expires_at nulls last, created_at) where remaining > 0;
create index credit_lots_expiry_idx on credit_lots (expires_at) where remaining > 0 and expires_at is not null;

-- Credit held for a request in flight.
create table credit_holds (
    id uuid primary key,
    account_id uuid not null references credit_accounts (id),
    amount bigint not null check (amount > 0),
    status text not null default 'open' check (status in ('open', 'settled', 'released', 'expired')),
    charged bigint check (charged is null or (charged >= 0 and charged <= amount)),
    settle_key text unique,
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    closed_at timestamptz,
    check ((status = 'open') = (closed_at is null)),
    check ((status = 'settled') = (charged is not null))
);

create index credit_holds_open_expiry_idx on credit_holds (expires_at) where status = 'open';
create index credit_holds_account_idx on credit_holds (account_id, created_at desc);

-- Which lots a hold took its credit from, so a release returns it there.
create table credit_hold_lots (
    hold_id uuid not null references credit_holds (id),
    lot_id uuid not null references credit_lots (id),
    amount bigint not null check (amount > 0),
    primary key (hold_id, lot_id)
);
