-- The data viewer's two slow views made index reads.
--
-- A text search: every file table with text columns gets, when it is
-- built, a trigram index over its row's text (the text columns joined by
-- the unit separator, which a search cannot hold, so a match never spans
-- two cells). A search and its count read only the rows that match.
--
-- A filter sorted by another column: when the page lies near the start of
-- the sort and the value is common, it walks the sort's index (`sN`) and
-- keeps the matching rows, stopping at the page; a rare value's matches
-- are few and sorted, and only a page deep in the sort of a common value
-- still sorts many.

-- The text of a row of a file's table as an expression over its columns:
-- its text columns joined by the unit separator (U+001F); null when the
-- file has no text column. The search index is built on exactly this
-- expression and every search names it, so the index serves the search.
create function dataset_table_text(p_types text[]) returns text
language plpgsql immutable as $$
declare
    v_text text := '';
begin
    for i in 1 .. cardinality(p_types) loop
        if p_types[i] = 'string' then
            v_text := v_text || case when v_text = '' then '' else ' || E''\x1f'' || ' end
                      || format('coalesce(c%s, '''')', i);
        end if;
    end loop;
    return nullif(v_text, '');
end;
$$;

-- The name of the search index of the file table `p_name`.
create function dataset_table_text_index(p_name text) returns text
language sql immutable as $$
    select p_name || '_text'
$$;

create or replace function dataset_table_build(p_sha256 bytea, p_load uuid) returns bigint
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
    v_text text;
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
    v_text := dataset_table_text(v_types);
    if v_text is not null then
        execute format('create index %I on dataset_rows.%I using gin ((%s) gin_trgm_ops)',
                       dataset_table_text_index(v_name), v_name, v_text);
    end if;
    execute format('analyze dataset_rows.%I', v_name);
    update dataset_tables
    set status = 'ready', row_count = v_rows, stats = coalesce(v_stats, '[]'::jsonb), error = null,
        built_at = now()
    where sha256 = p_sha256;
    return v_rows;
end;
$$;

-- The where clause of a view of a file's table: `cN = $3` when filtering
-- on column p_filter, and a case-insensitive match of $4 (a LIKE pattern)
-- in the row's text (dataset_table_text) when searching.
create or replace function dataset_table_where(p_types text[], p_filter integer, p_search boolean) returns text
language plpgsql immutable as $$
declare
    v_where text := 'true';
begin
    if p_filter > 0 then
        v_where := v_where || format(' and c%s = $3::%s', p_filter, dataset_column_sql_type(p_types[p_filter]));
    end if;
    if p_search then
        v_where := v_where || ' and ' || coalesce('(' || dataset_table_text(p_types) || ') ilike $4', 'false');
    end if;
    return v_where;
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
-- search through its trigram index) and sorted.
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

-- Files loaded before: their search index.
do $$
declare
    r record;
    v_text text;
begin
    for r in select name, types from dataset_tables where status = 'ready' loop
        v_text := dataset_table_text(r.types);
        if v_text is not null then
            execute format('create index if not exists %I on dataset_rows.%I using gin ((%s) gin_trgm_ops)',
                           dataset_table_text_index(r.name), r.name, v_text);
        end if;
    end loop;
end;
$$;
