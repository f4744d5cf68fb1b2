-- The catalog browsed without a search or a filter, and typos, without
-- reading every dataset per request.
--
-- `dataset_facet_counts` holds the facet counts of the whole catalog (the
-- total is the access facet's sum) and `dataset_words` the distinct words of
-- listed datasets' titles and tags, trigram-indexed, so a mistyped word is
-- corrected against a few thousand words instead of compared with every
-- dataset. Both change only when what they count changes: a statement
-- trigger recomputes them then (downloads, cards and featuring do not).
-- An advisory lock keeps two such statements from rebuilding at once.

create table dataset_facet_counts (
    facet text not null,
    value text not null,
    count bigint not null check (count > 0),
    primary key (facet, value)
);

create table dataset_words (
    word text primary key
);

create index dataset_words_trgm_idx on dataset_words using gin (word gin_trgm_ops);

create function dataset_summary_refresh() returns void
language plpgsql as $$
begin
    perform pg_advisory_xact_lock(hashtext('dataset_summary'));
    delete from dataset_facet_counts;
    insert into dataset_facet_counts (facet, value, count)
    select 'industry', industry, count(*) from datasets where latest_version is not null group by industry
    union all
    select 'task', t, count(*) from datasets, unnest(tasks) t where latest_version is not null group by t
    union all
    select 'license', license_id, count(*) from datasets
    where latest_version is not null and license_id is not null group by license_id
    union all
    select 'format', f, count(*) from datasets, unnest(formats) f where latest_version is not null group by f
    union all
    select 'size', size_category, count(*) from datasets
    where latest_version is not null and size_category is not null group by size_category
    union all
    select 'access', access, count(*) from datasets where latest_version is not null group by access;
    delete from dataset_words;
    insert into dataset_words (word)
    select distinct w from datasets, regexp_split_to_table(search_words, '[^[:alnum:]]+') w
    where latest_version is not null and length(w) >= 3;
end;
$$;

create function datasets_summary_changed() returns trigger
language plpgsql as $$
begin
    perform dataset_summary_refresh();
    return null;
end;
$$;

create trigger datasets_summary_rows after insert or delete or truncate on datasets
    for each statement execute function datasets_summary_changed();
create trigger datasets_summary_facts
    after update of industry, tasks, license_id, formats, size_category, access, latest_version, title, tags
    on datasets for each statement execute function datasets_summary_changed();

select dataset_summary_refresh();

-- The whole catalog, a page at a time, in each order it is listed in.
drop index datasets_listed_idx;
drop index datasets_downloads_idx;
-- Typos are matched against `dataset_words` now.
drop index datasets_words_trgm_idx;
create index datasets_featured_order_idx on datasets (featured desc, published_at desc, slug)
    where latest_version is not null;
create index datasets_newest_order_idx on datasets (published_at desc, slug) where latest_version is not null;
create index datasets_downloads_order_idx on datasets (downloads desc, published_at desc, slug)
    where latest_version is not null;
