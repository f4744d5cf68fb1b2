-- The curated dataset catalog: datasets, their versions (immutable once
-- published) and each version's files (stored content-addressed by SHA-256).
--
-- What the catalog filters and counts on (industry, tasks, license, access,
-- the formats and size of the latest published version) lives on the
-- dataset's row, so a search with its facet counts reads one indexed table.
-- `search` is the weighted full-text vector (title A, summary and tags B,
-- card C) and `search_words` the title and tags for typo-tolerant matching
-- with `pg_trgm`; a trigger keeps both.

create extension if not exists pg_trgm;

create table datasets (
    id uuid primary key,
    slug text not null unique check (slug ~ '^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$'),
    title text not null check (length(title) between 1 and 120),
    summary text not null check (length(summary) between 1 and 300),
    industry text not null check (industry in ('finance', 'healthcare', 'logistics', 'manufacturing',
                                               'retail', 'energy', 'cross-industry')),
    tasks text[] not null default '{}',
    -- SPDX id; null with the name "unknown — see source" when the source
    -- publishes no license.
    license_id text check (license_id is null or license_id ~ '^[A-Za-z0-9.+() -]{1,100}$'),
    license_name text not null check (length(license_name) between 1 and 200),
    license_url text check (license_url is null or license_url ~ '^https?://'),
    languages text[] not null default '{}',
    tags text[] not null default '{}',
    publisher text not null check (length(publisher) between 1 and 200),
    source_name text not null check (length(source_name) between 1 and 300),
    source_url text check (source_url is null or source_url ~ '^https?://'),
    citation text check (citation is null or length(citation) <= 2000),
    access text not null default 'open' check (access in ('open', 'terms', 'approval')),
    featured boolean not null default false,
    -- The card of the latest published version (the draft's until one is).
    card text not null default '' check (length(card) <= 100000),
    -- Of the latest published version; null while none is published (the
    -- dataset is then not in the catalog).
    latest_version integer check (latest_version is null or latest_version > 0),
    formats text[] not null default '{}',
    row_count bigint check (row_count is null or row_count >= 0),
    size_category text check (size_category is null
                              or size_category in ('n<1K', '1K<n<10K', '10K<n<100K', '100K<n<1M', 'n>1M')),
    downloads bigint not null default 0 check (downloads >= 0),
    search tsvector not null default ''::tsvector,
    search_words text not null default '',
    published_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create index datasets_search_idx on datasets using gin (search);
create index datasets_words_trgm_idx on datasets using gin (search_words gin_trgm_ops);
create index datasets_listed_idx on datasets (published_at desc) where latest_version is not null;
create index datasets_downloads_idx on datasets (downloads desc) where latest_version is not null;
create index datasets_tasks_idx on datasets using gin (tasks);
create index datasets_facets_idx on datasets (industry, access, license_id, size_category) where latest_version is not null;

create function datasets_search_text() returns trigger
language plpgsql as $$
begin
    new.search := setweight(to_tsvector('english', new.title), 'A')
               || setweight(to_tsvector('english', new.summary || ' ' || array_to_string(new.tags, ' ')), 'B')
               || setweight(to_tsvector('english', new.card), 'C');
    new.search_words := lower(new.title || ' ' || array_to_string(new.tags, ' '));
    return new;
end;
$$;

create trigger datasets_search_text before insert or update of title, summary, tags, card on datasets
    for each row execute function datasets_search_text();

create trigger datasets_updated_at before update on datasets
    for each row execute function set_updated_at();

create table dataset_versions (
    id uuid primary key,
    dataset_id uuid not null references datasets (id),
    number integer not null check (number > 0),
    card text not null default '' check (length(card) <= 100000),
    changelog text not null default '' check (length(changelog) <= 500),
    status text not null default 'draft' check (status in ('draft', 'published', 'unpublished')),
    published_at timestamptz,
    downloads bigint not null default 0 check (downloads >= 0),
    created_at timestamptz not null default now(),
    unique (dataset_id, number),
    check ((status = 'draft') = (published_at is null))
);

create table dataset_files (
    id uuid primary key,
    version_id uuid not null references dataset_versions (id),
    name text not null check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    format text not null check (format in ('csv', 'tsv', 'jsonl', 'parquet', 'other')),
    bytes bigint not null check (bytes >= 0),
    sha256 bytea not null check (length(sha256) = 32),
    -- For tabular files: rows and columns (`[{name, type, description}]`).
    row_count bigint check (row_count is null or row_count >= 0),
    columns jsonb,
    -- CSV and TSV: the delimiter and encoding found at ingestion.
    delimiter text check (delimiter is null or length(delimiter) = 1),
    encoding text,
    created_at timestamptz not null default now(),
    unique (version_id, name)
);

create index dataset_files_sha_idx on dataset_files (sha256);

-- A published version is what its URL promised: its card, changelog and
-- files never change (it may only be unpublished, and its download count
-- grows).
create function dataset_versions_frozen() returns trigger
language plpgsql as $$
begin
    if old.status <> 'draft' and (new.card <> old.card or new.changelog <> old.changelog
                                  or new.number <> old.number or new.dataset_id <> old.dataset_id
                                  or new.status = 'draft') then
        raise exception 'dataset version % is published and cannot change', old.id;
    end if;
    return new;
end;
$$;

create trigger dataset_versions_frozen before update on dataset_versions
    for each row execute function dataset_versions_frozen();

create function dataset_files_frozen() returns trigger
language plpgsql as $$
declare
    v_status text;
begin
    select v.status into v_status from dataset_versions v
    where v.id = coalesce(new.version_id, old.version_id);
    if v_status <> 'draft' then
        raise exception 'the files of a published dataset version cannot change';
    end if;
    return coalesce(new, old);
end;
$$;

create trigger dataset_files_frozen before insert or update or delete on dataset_files
    for each row execute function dataset_files_frozen();
