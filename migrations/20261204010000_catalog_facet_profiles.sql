-- Facet counts of a filtered catalog without reading every dataset.
--
-- A filter without words (say industry = energy, task = forecasting) counts,
-- for each facet, the listed datasets that match every other facet's choice:
-- read from `datasets`, that is every listed dataset's wide row (card,
-- search vector) per request. Datasets that share all six facet values are
-- counted alike, so `dataset_facet_profiles` keeps one row per distinct
-- combination with how many listed datasets have it; the counts sum it. It
-- has at most as many rows as there are listed datasets (each a few dozen
-- bytes) and usually far fewer, and each facet's count reads, through an
-- index, only the combinations the other choices keep. The statement
-- trigger that keeps
-- `dataset_facet_counts` rebuilds it in the same transaction.

create table dataset_facet_profiles (
    industry text not null,
    tasks text[] not null,
    license_id text,
    formats text[] not null,
    size_category text,
    access text not null,
    count bigint not null check (count > 0)
);

-- Each facet is counted over the combinations matching the other facets'
-- choices: an index per facet reads only those.
create index dataset_facet_profiles_industry_idx on dataset_facet_profiles (industry);
create index dataset_facet_profiles_license_idx on dataset_facet_profiles (license_id);
create index dataset_facet_profiles_size_idx on dataset_facet_profiles (size_category);
create index dataset_facet_profiles_access_idx on dataset_facet_profiles (access);
create index dataset_facet_profiles_tasks_idx on dataset_facet_profiles using gin (tasks) with (fastupdate = off);
create index dataset_facet_profiles_formats_idx on dataset_facet_profiles using gin (formats) with (fastupdate = off);

create or replace function dataset_summary_refresh() returns void
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
    delete from dataset_facet_profiles;
    insert into dataset_facet_profiles (industry, tasks, license_id, formats, size_category, access, count)
    select industry, tasks, license_id, formats, size_category, access, count(*) from datasets
    where latest_version is not null
    group by industry, tasks, license_id, formats, size_category, access;
    delete from dataset_words;
    insert into dataset_words (word)
    select distinct w from datasets, regexp_split_to_table(search_words, '[^[:alnum:]]+') w
    where latest_version is not null and length(w) >= 3;
end;
$$;

select dataset_summary_refresh();
