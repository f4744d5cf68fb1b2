-- The data viewer: every tabular dataset file loaded once, at ingestion,
-- into a typed table of its own (schema `dataset_rows`, one table per file
-- content, named by its SHA-256), so that any page, sort or filter of a
-- file of millions of rows reads a hundred rows through an index instead
-- of scanning the file.
--
-- A file's table holds `_row` (its row number in the file, from 1), one
-- typed column `cN` per file column, and for each column two numbers set
-- when the table is built:
--   sN: the row's position when the rows are sorted by cN (nulls last,
--       ties in file order), so page k of that sort is a range of sN;
--   fN: the row's position among the rows with the same cN, in file order,
--       so page k of "cN = value" is a range of fN.
-- Statistics per column (missing values, distinct values, range, mean,
-- histogram bins, most common values) are computed at the same time and kept
-- in `dataset_tables.stats`.
--
-- The functions below are the only code that names a file's table; they
-- build every identifier with format('%I') from a name this schema checks.

create schema if not exists dataset_rows;

create table dataset_tables (
    sha256 bytea primary key check (length(sha256) = 32),
    -- t_ and the first 40 hex digits of the SHA-256 (a name fits in 63 bytes).
    name text not null unique check (name ~ '^t_[0-9a-f]{40}$'),
    -- Per column, the ingestion type: integer, number, boolean, date,
    -- datetime or string.
    types text[] not null check (cardinality(types) between 1 and 500),
    row_count bigint not null default 0 check (row_count >= 0),
    -- Per column: {nulls, distinct, min, max, mean, low, high, bins, top,
    -- filterable}; see dataset_table_stats.
    stats jsonb not null default '[]',
    status text not null default 'building' check (status in ('building', 'ready', 'failed')),
    error text,
    created_at timestamptz not null default now(),
    built_at timestamptz
);

-- Rows on their way in: a load COPYs each row as text cells here, and the
-- build turns them into the typed table and deletes them. Unlogged: a load
-- cut short by a crash is started again.
create unlogged table dataset_table_loads (
    load_id uuid not null,
    row_number bigint not null,
    cells text[] not null
);

create function dataset_column_sql_type(p_type text) returns text
language sql immutable as $$
    select case p_type
        when 'integer' then 'bigint'
        when 'number' then 'double precision'
        when 'boolean' then 'boolean'
        when 'date' then 'date'
        when 'datetime' then 'timestamptz'
        when 'string' then 'text'
    end
$$;

-- Builds the table of the file `p_sha256` (registered as 'building') from
-- the rows of load `p_load`, with its indexes and statistics, and marks it
-- ready.
create function dataset_table_build(p_sha256 bytea, p_load uuid) returns bigint
language plpgsql as $$
declare
    v_name text;
    v_types text[];
    v_n integer;
    v_cast text := '';
    v_plain text := '';
    v_ranks text := '';
    v_rows bigint;
    v_stats jsonb;
    v_wide boolean;
begin
    select name, types into v_name, v_types from dataset_tables where sha256 = p_sha256 for update;
    if not found then
        raise exception 'no dataset table is registered for this file';
    end if;
    v_n := cardinality(v_types);
    for i in 1 .. v_n loop
        if dataset_column_sql_type(v_types[i]) is null then
            raise exception 'unknown column type %', v_types[i];
        end if;
        v_cast := v_cast || format(', cells[%s]::%s as c%s', i, dataset_column_sql_type(v_types[i]), i);
        v_plain := v_plain || format(', c%s', i);
        v_ranks := v_ranks || format(
            ', (row_number() over (order by c%1$s, _row))::integer as s%1$s'
            ', (row_number() over (partition by c%1$s order by _row))::integer as f%1$s', i);
    end loop;
    perform set_config('work_mem', '256MB', true);
    perform set_config('maintenance_work_mem', '512MB', true);
    execute format('drop table if exists dataset_rows.%I', v_name);
    execute format(
        'create table dataset_rows.%I as select _row%s%s from '
        '(select row_number as _row%s from dataset_table_loads where load_id = $1) loaded',
        v_name, v_plain, v_ranks, v_cast) using p_load;
    get diagnostics v_rows = row_count;
    delete from dataset_table_loads where load_id = p_load;
    execute format('alter table dataset_rows.%I add primary key (_row)', v_name);
    for i in 1 .. v_n loop
        execute format('create index on dataset_rows.%I (s%s)', v_name, i);
        -- A text longer than a B-tree entry can hold is not filtered by
        -- index; such columns are marked not filterable.
        v_wide := false;
        if v_types[i] = 'string' then
            execute format('select coalesce(max(octet_length(c%s)), 0) > 1000 from dataset_rows.%I', i, v_name)
                into v_wide;
        end if;
        if not v_wide then
            execute format('create index on dataset_rows.%I (c%s, f%s)', v_name, i, i);
        end if;
        v_stats := coalesce(v_stats, '[]'::jsonb)
                   || jsonb_build_array(dataset_table_stats(v_name, i, v_types[i], v_rows)
                                        || jsonb_build_object('filterable', not v_wide));
    end loop;
    execute format('analyze dataset_rows.%I', v_name);
    update dataset_tables
    set status = 'ready', row_count = v_rows, stats = coalesce(v_stats, '[]'::jsonb), error = null,
        built_at = now()
    where sha256 = p_sha256;
    return v_rows;
end;
$$;

-- One column's statistics: missing and distinct values; for numbers, dates
-- and times the range, mean (numbers) and a histogram of up to 20 bins of
-- equal width over [low, high) in the column's numeric scale (days since
-- 1970 for dates, seconds for times); for every column its ten most common
-- values.
create function dataset_table_stats(p_name text, p_column integer, p_type text, p_rows bigint) returns jsonb
language plpgsql as $$
declare
    v_nulls bigint;
    v_distinct bigint;
    v_scale text;
    v_min text;
    v_max text;
    v_low double precision;
    v_high double precision;
    v_mean double precision;
    v_bins integer;
    v_histogram jsonb := '[]';
    v_top jsonb;
    v_result jsonb;
begin
    execute format('select count(*) - count(c%1$s), count(distinct c%1$s) from dataset_rows.%2$I', p_column, p_name)
        into v_nulls, v_distinct;
    v_result := jsonb_build_object('nulls', v_nulls, 'distinct', v_distinct);
    v_scale := case p_type
        when 'integer' then format('c%s::double precision', p_column)
        when 'number' then format('c%s', p_column)
        when 'date' then format('(c%s - date ''1970-01-01'')::double precision', p_column)
        when 'datetime' then format('extract(epoch from c%s)::double precision', p_column)
    end;
    if v_scale is not null and v_distinct > 0 then
        execute format(
            'select min(c%1$s)::text, max(c%1$s)::text, min(%3$s), max(%3$s), avg(%3$s) from dataset_rows.%2$I',
            p_column, p_name, v_scale)
            into v_min, v_max, v_low, v_high, v_mean;
        if p_type in ('integer', 'date') then
            -- Whole steps: one bin per value while there are at most 20.
            v_high := v_high + 1;
            v_bins := least(20, (v_high - v_low)::integer);
        elsif v_high > v_low then
            v_bins := 20;
        else
            v_high := v_low + 1;
            v_bins := 1;
        end if;
        execute format(
            'select coalesce(jsonb_agg(jsonb_build_array(bin, n) order by bin), ''[]'') from '
            '(select least(width_bucket(%1$s, $1, $2, $3), $3) as bin, count(*) as n '
            ' from dataset_rows.%2$I where c%3$s is not null group by 1) h',
            v_scale, p_name, p_column)
            using v_low, v_high, v_bins
            into v_histogram;
        v_result := v_result || jsonb_build_object(
            'min', v_min, 'max', v_max, 'low', v_low, 'high', v_high, 'bins', v_bins,
            'histogram', v_histogram);
        if p_type = 'number' or p_type = 'integer' then
            v_result := v_result || jsonb_build_object('mean', v_mean);
        end if;
    end if;
    execute format(
        'select coalesce(jsonb_agg(jsonb_build_array(v, n) order by n desc, v), ''[]'') from '
        '(select left(c%1$s::text, 200) as v, count(*) as n from dataset_rows.%2$I where c%1$s is not null '
        ' group by 1 order by 2 desc, 1 limit 10) t',
        p_column, p_name)
        into v_top;
    return v_result || jsonb_build_object('top', v_top);
end;
$$;

-- The where clause of a view of a file's table: `cN = $3` when filtering
-- on column p_filter, and a case-insensitive match of $4 (a LIKE pattern)
-- in any text column when searching.
create function dataset_table_where(p_types text[], p_filter integer, p_search boolean) returns text
language plpgsql immutable as $$
declare
    v_where text := 'true';
    v_any text := '';
begin
    if p_filter > 0 then
        v_where := v_where || format(' and c%s = $3::%s', p_filter, dataset_column_sql_type(p_types[p_filter]));
    end if;
    if p_search then
        for i in 1 .. cardinality(p_types) loop
            if p_types[i] = 'string' then
                v_any := v_any || case when v_any = '' then '' else ' or ' end || format('c%s ilike $4', i);
            end if;
        end loop;
        v_where := v_where || ' and (' || case when v_any = '' then 'false' else v_any end || ')';
    end if;
    return v_where;
end;
$$;

-- One page of a view of the file `p_sha256`: rows `p_offset + 1 …
-- p_offset + p_limit` of the rows matching the filter (column p_filter
-- equal to p_value; 0: none) and the search (p_search, a LIKE pattern;
-- null: none), sorted by column p_sort (0: file order), descending when
-- p_desc. Each row as its number and its cells as text.
--
-- Without a search, a page is a range of one index: of `_row` or `sN`
-- unfiltered, of `(cN, fN)` filtered and in file order (or by that
-- column). A search, or a filter sorted by another column, reads the
-- matching rows.
create function dataset_table_page(p_sha256 bytea, p_sort integer, p_desc boolean, p_filter integer,
                                   p_value text, p_search text, p_offset bigint, p_limit integer)
returns table (row_number bigint, cells text[])
language plpgsql stable as $$
declare
    v_name text;
    v_types text[];
    v_rows bigint;
    v_n integer;
    v_cells text := '';
    v_key text;
    v_total bigint;
    v_stats jsonb;
    v_filterable boolean;
begin
    select t.name, t.types, t.row_count, t.stats,
           p_filter > 0 and coalesce((t.stats -> (p_filter - 1) ->> 'filterable')::boolean, false)
    into v_name, v_types, v_rows, v_stats, v_filterable
    from dataset_tables t where t.sha256 = p_sha256 and t.status = 'ready';
    if not found then
        return;
    end if;
    -- A page reads a hundred rows: compiling it costs more than it saves,
    -- and a row estimate of an empty range can be far off.
    perform set_config('jit', 'off', true);
    v_n := cardinality(v_types);
    if p_sort not between 0 and v_n or p_filter not between 0 and v_n or p_limit not between 1 and 1000
       or p_offset < 0 then
        raise exception 'this view does not fit the file' using errcode = '22023';
    end if;
    for i in 1 .. v_n loop
        v_cells := v_cells || case when i = 1 then '' else ', ' end || format('c%s::text', i);
    end loop;
    v_cells := 'array[' || v_cells || ']';
    if p_search is null and p_filter = 0 and p_sort > 0 and p_desc then
        -- Descending with missing values still last: the column's values
        -- (sN from M down to 1, M of them not missing), then the missing
        -- ones (sN above M) in file order.
        v_total := v_rows - coalesce((v_stats -> (p_sort - 1) ->> 'nulls')::bigint, 0);
        return query execute format(
            'select _row, %1$s from ('
            ' select 1 as part, -s%2$s::bigint as k, * from dataset_rows.%3$I where s%2$s > $1 and s%2$s <= $2'
            ' union all'
            ' select 2, s%2$s::bigint, * from dataset_rows.%3$I where s%2$s > $3 and s%2$s <= $4'
            ') x order by part, k',
            v_cells, p_sort, v_name)
            using v_total - p_offset - p_limit, v_total - p_offset, greatest(p_offset, v_total),
                  p_offset + p_limit;
    elsif p_search is null and p_filter = 0 then
        v_key := case when p_sort = 0 then '_row' else format('s%s', p_sort) end;
        v_total := v_rows;
        return query execute format(
            'select _row, %s from dataset_rows.%I where %s > $1 and %s <= $2 order by %s %s',
            v_cells, v_name, v_key, v_key, v_key, case when p_desc then 'desc' else 'asc' end)
            using case when p_desc then greatest(v_total - p_offset - p_limit, 0) else p_offset end,
                  case when p_desc then v_total - p_offset else p_offset + p_limit end;
    elsif p_search is null and v_filterable and (p_sort = 0 or p_sort = p_filter) then
        v_key := format('f%s', p_filter);
        if p_desc then
            execute format('select coalesce(max(%s), 0) from dataset_rows.%I where c%s = $1::%s',
                           v_key, v_name, p_filter, dataset_column_sql_type(v_types[p_filter]))
                using p_value into v_total;
        end if;
        return query execute format(
            'select _row, %s from dataset_rows.%I where c%s = $3::%s and %s > $1 and %s <= $2 order by %s %s',
            v_cells, v_name, p_filter, dataset_column_sql_type(v_types[p_filter]), v_key, v_key, v_key,
            case when p_desc then 'desc' else 'asc' end)
            using case when p_desc then greatest(v_total - p_offset - p_limit, 0) else p_offset end,
                  case when p_desc then v_total - p_offset else p_offset + p_limit end,
                  p_value;
    else
        v_key := case
            when p_sort = 0 then '_row' || case when p_desc then ' desc' else '' end
            when p_desc then format('(c%s is null), s%s desc', p_sort, p_sort)
            else format('s%s', p_sort)
        end;
        return query execute format(
            'select _row, %s from dataset_rows.%I where %s order by %s offset $1 limit $2',
            v_cells, v_name, dataset_table_where(v_types, p_filter, p_search is not null), v_key)
            using p_offset, p_limit, p_value, p_search;
    end if;
end;
$$;

-- How many rows of the file `p_sha256` match the filter and search of
-- dataset_table_page, counting no further than p_cap (a search's count
-- reads the matching rows).
create function dataset_table_count(p_sha256 bytea, p_filter integer, p_value text, p_search text,
                                    p_cap bigint)
returns bigint
language plpgsql stable as $$
declare
    v_name text;
    v_types text[];
    v_rows bigint;
    v_count bigint;
    v_filterable boolean;
begin
    select t.name, t.types, t.row_count,
           p_filter > 0 and coalesce((t.stats -> (p_filter - 1) ->> 'filterable')::boolean, false)
    into v_name, v_types, v_rows, v_filterable
    from dataset_tables t where t.sha256 = p_sha256 and t.status = 'ready';
    if not found then
        return null;
    end if;
    perform set_config('jit', 'off', true);
    if p_filter not between 0 and cardinality(v_types) then
        raise exception 'this view does not fit the file' using errcode = '22023';
    end if;
    if p_search is null and p_filter = 0 then
        return v_rows;
    elsif p_search is null and v_filterable then
        execute format('select coalesce(max(f%s), 0) from dataset_rows.%I where c%s = $1::%s',
                       p_filter, v_name, p_filter, dataset_column_sql_type(v_types[p_filter]))
            using p_value into v_count;
        return v_count;
    end if;
    execute format('select count(*) from (select 1 from dataset_rows.%I where %s limit $1) m',
                   v_name, dataset_table_where(v_types, p_filter, p_search is not null))
        using p_cap, null::text, p_value, p_search
        into v_count;
    return v_count;
end;
$$;
