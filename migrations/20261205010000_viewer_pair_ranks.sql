-- A page deep in a filter sorted by another column (`origin = JFK` sorted
-- by `arr_delay`, page 3,000) read and sorted every matching row: about a
-- second per 300,000 matches. Such a pair of columns, once asked for on a
-- large file, gets a table of ranks of its own, built in the background:
-- per row the filter column's value `v`, the sort column's position `s`
-- (the row's sN) and its rank `r` among the rows with the same value
-- (1, 2, … in the sort's order for rows with a sort value; -1, -2, … in
-- file order for rows missing it). A page of the pair is then a range of
-- the index on (v, r), joined to its rows by sN.

create table dataset_table_pairs (
    sha256 bytea not null references dataset_tables (sha256) on delete cascade,
    filter_column integer not null check (filter_column > 0),
    sort_column integer not null check (sort_column > 0 and sort_column <> filter_column),
    -- The file table's name and the two column numbers.
    name text not null unique check (name ~ '^t_[0-9a-f]{40}_[0-9]+_[0-9]+$'),
    status text not null default 'building' check (status in ('building', 'ready', 'failed')),
    requested_at timestamptz not null default now(),
    built_at timestamptz,
    primary key (sha256, filter_column, sort_column)
);

-- A file table built again (or failed) loses its pairs' ranks.
create function dataset_table_pairs_forget() returns trigger
language plpgsql as $$
declare
    r record;
begin
    for r in delete from dataset_table_pairs p where p.sha256 = old.sha256 returning p.name loop
        execute format('drop table if exists dataset_rows.%I', r.name);
    end loop;
    return new;
end;
$$;

create trigger dataset_tables_forget_pairs after update of status, built_at on dataset_tables
    for each row when (old.status = 'ready' and (new.status <> 'ready' or new.built_at is distinct from old.built_at))
    execute function dataset_table_pairs_forget();

-- Asks for the ranks of filtering the file `p_sha256` on column `p_filter`
-- sorted by column `p_sort`. Returns the pair's table name when the caller
-- is to build it now (dataset_table_pair_build): the file's table is ready,
-- has at least `p_min_rows` rows (smaller ones sort their matches fast),
-- the filter column is filterable, and nobody else has asked (or their
-- build failed or stalled over an hour ago). Otherwise null.
create function dataset_table_pair_want(p_sha256 bytea, p_filter integer, p_sort integer, p_min_rows bigint)
returns text
language plpgsql as $$
declare
    v_table text;
    v_name text;
begin
    select t.name into v_table from dataset_tables t
    where t.sha256 = p_sha256 and t.status = 'ready' and t.row_count >= p_min_rows
      and p_filter between 1 and cardinality(t.types) and p_sort between 1 and cardinality(t.types)
      and p_filter <> p_sort
      and coalesce((t.stats -> (p_filter - 1) ->> 'filterable')::boolean, false);
    if not found then
        return null;
    end if;
    v_name := format('%s_%s_%s', v_table, p_filter, p_sort);
    insert into dataset_table_pairs as p (sha256, filter_column, sort_column, name)
    values (p_sha256, p_filter, p_sort, v_name)
    on conflict (sha256, filter_column, sort_column) do update
        set status = 'building', requested_at = now(), built_at = null
        where p.status = 'failed' and p.requested_at < now() - interval '1 hour'
           or p.status = 'building' and p.requested_at < now() - interval '1 hour'
    returning p.name into v_name;
    return v_name;
end;
$$;

-- Builds the ranks of a pair asked for by dataset_table_pair_want and
-- marks it ready (or failed, when the build fails).
create function dataset_table_pair_build(p_sha256 bytea, p_filter integer, p_sort integer) returns boolean
language plpgsql as $$
declare
    v_table text;
    v_name text;
begin
    select t.name, p.name into v_table, v_name
    from dataset_table_pairs p join dataset_tables t on t.sha256 = p.sha256
    where p.sha256 = p_sha256 and p.filter_column = p_filter and p.sort_column = p_sort
      and p.status = 'building' and t.status = 'ready';
    if not found then
        return false;
    end if;
    perform set_config('work_mem', '256MB', true);
    perform set_config('maintenance_work_mem', '512MB', true);
    begin
        execute format('drop table if exists dataset_rows.%I', v_name);
        execute format(
            'create table dataset_rows.%1$I as'
            ' select c%3$s as v, s%4$s as s,'
            '        case when c%4$s is null then -1 else 1 end'
            '        * row_number() over (partition by c%3$s, c%4$s is null order by s%4$s) as r'
            ' from dataset_rows.%2$I where c%3$s is not null',
            v_name, v_table, p_filter, p_sort);
        execute format('create index on dataset_rows.%I (v, r) include (s)', v_name);
        execute format('analyze dataset_rows.%I', v_name);
        update dataset_table_pairs set status = 'ready', built_at = now()
        where sha256 = p_sha256 and filter_column = p_filter and sort_column = p_sort;
        return true;
    exception when others then
        update dataset_table_pairs set status = 'failed'
        where sha256 = p_sha256 and filter_column = p_filter and sort_column = p_sort;
        return false;
    end;
end;
$$;

-- One page of a view of the file `p_sha256`: rows `p_offset + 1 …
-- p_offset + p_limit` of the rows matching the filter (column p_filter
-- equal to p_value; 0: none) and the search (p_search, a LIKE pattern;
-- null: none), sorted by column p_sort (0: file order), descending when
-- p_desc (rows missing the value last, in file order, either way). Each
-- row as its number and its cells as text.
--
-- Without a search, a page is a range of one index: of `_row` or `sN`
-- unfiltered, of `(cN, fN)` filtered and in file order (or by that
-- column). Filtered and sorted by another column, a page walks the index
-- of `sN` keeping the matching rows when that reads fewer rows than there
-- are matches; otherwise, and for a search, the matching rows are read (a
-- search through its trigram index) and sorted. Once the pair of filter
-- and sort columns has its ranks (dataset_table_pair_build), every page of
-- it is a range of their index.
create or replace function dataset_table_page(p_sha256 bytea, p_sort integer, p_desc boolean, p_filter integer,
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
    v_valued bigint;
    v_got bigint;
    v_before bigint;
    v_pair text;
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
    -- Rows with a value in the sort column: sN from 1 to v_valued.
    v_valued := v_rows - coalesce((v_stats -> (greatest(p_sort, 1) - 1) ->> 'nulls')::bigint, 0);
    if p_search is null and p_filter = 0 and p_sort > 0 and p_desc then
        -- Descending with missing values still last: the column's values
        -- (sN from M down to 1, M of them not missing), then the missing
        -- ones (sN above M) in file order.
        return query execute format(
            'select _row, %1$s from ('
            ' select 1 as part, -s%2$s::bigint as k, * from dataset_rows.%3$I where s%2$s > $1 and s%2$s <= $2'
            ' union all'
            ' select 2, s%2$s::bigint, * from dataset_rows.%3$I where s%2$s > $3 and s%2$s <= $4'
            ') x order by part, k',
            v_cells, p_sort, v_name)
            using v_valued - p_offset - p_limit, v_valued - p_offset, greatest(p_offset, v_valued),
                  p_offset + p_limit;
        return;
    elsif p_search is null and p_filter = 0 then
        v_key := case when p_sort = 0 then '_row' else format('s%s', p_sort) end;
        v_total := v_rows;
        return query execute format(
            'select _row, %s from dataset_rows.%I where %s > $1 and %s <= $2 order by %s %s',
            v_cells, v_name, v_key, v_key, v_key, case when p_desc then 'desc' else 'asc' end)
            using case when p_desc then greatest(v_total - p_offset - p_limit, 0) else p_offset end,
                  case when p_desc then v_total - p_offset else p_offset + p_limit end;
        return;
    end if;
    if p_search is null and v_filterable then
        execute format('select coalesce(max(f%s), 0) from dataset_rows.%I where c%s = $1::%s',
                       p_filter, v_name, p_filter, dataset_column_sql_type(v_types[p_filter]))
            using p_value into v_total;
        if p_sort = 0 or p_sort = p_filter then
            v_key := format('f%s', p_filter);
            return query execute format(
                'select _row, %s from dataset_rows.%I where c%s = $3::%s and %s > $1 and %s <= $2 order by %s %s',
                v_cells, v_name, p_filter, dataset_column_sql_type(v_types[p_filter]), v_key, v_key, v_key,
                case when p_desc then 'desc' else 'asc' end)
                using case when p_desc then greatest(v_total - p_offset - p_limit, 0) else p_offset end,
                      case when p_desc then v_total - p_offset else p_offset + p_limit end,
                      p_value;
            return;
        end if;
        if p_offset >= v_total then
            return;
        end if;
        -- Ranked for this pair (dataset_table_pair_build): a page is a
        -- range of the ranks' index, joined to the rows by sS.
        select pr.name into v_pair from dataset_table_pairs pr
        where pr.sha256 = p_sha256 and pr.filter_column = p_filter and pr.sort_column = p_sort
          and pr.status = 'ready';
        if v_pair is not null then
            execute format('select greatest(coalesce(max(r), 0), 0) from dataset_rows.%I where v = $1::%s',
                           v_pair, dataset_column_sql_type(v_types[p_filter]))
                using p_value into v_valued;
            v_cells := '';
            for i in 1 .. v_n loop
                v_cells := v_cells || case when i = 1 then '' else ', ' end || format('t.c%s::text', i);
            end loop;
            -- Rows with a value in the sort column: ranks 1 … v_valued,
            -- in its order (read backwards when descending); then those
            -- missing it: ranks -1, -2, … in file order either way.
            return query execute format(
                'select t._row, array[%1$s] from ('
                ' select 1 as part, case when $6 then -p.r else p.r end as k, p.s from dataset_rows.%2$I p'
                '  where p.v = $1::%4$s and p.r > $2 and p.r <= $3'
                ' union all'
                ' select 2, -p.r, p.s from dataset_rows.%2$I p'
                '  where p.v = $1::%4$s and p.r < -$4 and p.r >= -$5'
                ') x join dataset_rows.%3$I t on t.s%5$s = x.s order by x.part, x.k',
                v_cells, v_pair, v_name, dataset_column_sql_type(v_types[p_filter]), p_sort)
                using p_value,
                      case when p_desc then greatest(v_valued - p_offset - p_limit, 0) else p_offset end,
                      case when p_desc then v_valued - p_offset else least(p_offset + p_limit, v_valued) end,
                      greatest(p_offset - v_valued, 0),
                      p_offset + p_limit - v_valued,
                      p_desc;
            return;
        end if;
        -- Sorted by another column: walk that column's order, keeping the
        -- rows that match, when that reads fewer rows than the matches
        -- (about (offset + limit) × rows ÷ matches of them: a page near
        -- the start of a common value); else read the matches and sort.
        if (p_offset + p_limit)::numeric * v_rows / greatest(v_total, 1) <= v_total then
            perform set_config('enable_bitmapscan', 'off', true);
            perform set_config('enable_seqscan', 'off', true);
            perform set_config('enable_sort', 'off', true);
            if not p_desc then
                return query execute format(
                    'select _row, %s from dataset_rows.%I where c%s = $1::%s order by s%s offset $2 limit $3',
                    v_cells, v_name, p_filter, dataset_column_sql_type(v_types[p_filter]), p_sort)
                    using p_value, p_offset, p_limit;
            else
                return query execute format(
                    'select _row, %s from dataset_rows.%I where c%s = $1::%s and s%s <= $4'
                    ' order by s%s desc offset $2 limit $3',
                    v_cells, v_name, p_filter, dataset_column_sql_type(v_types[p_filter]), p_sort, p_sort)
                    using p_value, p_offset, p_limit, v_valued;
                get diagnostics v_got = row_count;
                if v_got < p_limit then
                    -- The page runs into the matching rows missing the value.
                    execute format('select count(*) from dataset_rows.%I where c%s = $1::%s and s%s <= $2',
                                   v_name, p_filter, dataset_column_sql_type(v_types[p_filter]), p_sort)
                        using p_value, v_valued into v_before;
                    return query execute format(
                        'select _row, %s from dataset_rows.%I where c%s = $1::%s and s%s > $4'
                        ' order by s%s offset $2 limit $3',
                        v_cells, v_name, p_filter, dataset_column_sql_type(v_types[p_filter]), p_sort, p_sort)
                        using p_value, greatest(p_offset - v_before, 0), p_limit - v_got, v_valued;
                end if;
            end if;
            perform set_config('enable_bitmapscan', 'on', true);
            perform set_config('enable_seqscan', 'on', true);
            perform set_config('enable_sort', 'on', true);
            return;
        end if;
    end if;
    v_key := case
        when p_sort = 0 then '_row' || case when p_desc then ' desc' else '' end
        when p_desc then format('(c%1$s is null), case when c%1$s is null then s%1$s else -s%1$s end', p_sort)
        else format('s%s', p_sort)
    end;
    return query execute format(
        'select _row, %s from dataset_rows.%I where %s order by %s offset $1 limit $2',
        v_cells, v_name, dataset_table_where(v_types, p_filter, p_search is not null), v_key)
        using p_offset, p_limit, p_value, p_search;
end;
$$;
