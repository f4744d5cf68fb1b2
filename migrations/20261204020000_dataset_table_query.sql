-- Agents' structured queries over a file's viewer table (the tool
-- `query_dataset`): columns or group-by with aggregates, filters, an order
-- and a limit, never SQL from the model.
--
-- The portal checks a query against the file's columns and sends it here
-- by column number; this function checks it again and writes the SQL
-- itself: identifiers with format('%I'), values as quoted literals cast to
-- the column's type, operators and aggregates from fixed lists. It only
-- reads, and at most 200 rows come back, each a JSON array of the
-- selected values in order.
--
-- p_query: {
--   "select": [{"col": N} | {"agg": "count"} | {"agg": "sum|mean|min|max", "col": N}],
--   "where":  [{"col": N, "op": "=|!=|<|<=|>|>=|contains|is_null|not_null", "value": "text"}],
--   "group":  [N],
--   "order":  [{"out": K, "desc": bool}],   -- K: position in "select", from 1
--   "limit":  1..200
-- }

create function dataset_table_query(p_sha256 bytea, p_query jsonb) returns jsonb
language plpgsql stable as $$
declare
    v_name text;
    v_types text[];
    v_select text[] := '{}';
    v_where text[] := '{}';
    v_group text[] := '{}';
    v_order text[] := '{}';
    v_item jsonb;
    v_col integer;
    v_agg text;
    v_op text;
    v_out integer;
    v_limit integer;
    v_outputs text := '';
    v_result jsonb;
begin
    select name, types into v_name, v_types from dataset_tables
    where sha256 = p_sha256 and status = 'ready';
    if not found then
        return null;
    end if;
    for v_item in select * from jsonb_array_elements(coalesce(p_query -> 'select', '[]')) loop
        v_agg := v_item ->> 'agg';
        v_col := (v_item ->> 'col')::integer;
        if v_agg is null or v_agg <> 'count' then
            if v_col is null or v_col < 1 or v_col > cardinality(v_types) then
                raise exception 'no column %', v_col using errcode = '22023';
            end if;
        end if;
        v_select := v_select || case
            when v_agg is null then format('%I', 'c' || v_col)
            when v_agg = 'count' then 'count(*)'
            when v_agg in ('sum', 'mean') and v_types[v_col] in ('integer', 'number')
                then format('%s(%I)', case v_agg when 'sum' then 'sum' else 'avg' end, 'c' || v_col)
            when v_agg in ('min', 'max') then format('%s(%I)', v_agg, 'c' || v_col)
            else null end;
        if v_select[cardinality(v_select)] is null then
            raise exception 'aggregate % does not apply to column %', v_agg, v_col using errcode = '22023';
        end if;
    end loop;
    if cardinality(v_select) = 0 or cardinality(v_select) > 50 then
        raise exception 'select 1 to 50 values' using errcode = '22023';
    end if;
    for v_item in select * from jsonb_array_elements(coalesce(p_query -> 'where', '[]')) loop
        v_col := (v_item ->> 'col')::integer;
        v_op := v_item ->> 'op';
        if v_col is null or v_col < 1 or v_col > cardinality(v_types) then
            raise exception 'no column %', v_col using errcode = '22023';
        end if;
        v_where := v_where || case
            when v_op = 'is_null' then format('%I is null', 'c' || v_col)
            when v_op = 'not_null' then format('%I is not null', 'c' || v_col)
            when v_op = 'contains' then format('%I::text ilike %L', 'c' || v_col,
                '%' || replace(replace(replace(v_item ->> 'value', '\', '\\'), '%', '\%'), '_', '\_') || '%')
            when v_op in ('=', '!=', '<', '<=', '>', '>=') and v_item ? 'value' then format('%I %s %L::%s',
                'c' || v_col, case v_op when '!=' then '<>' else v_op end, v_item ->> 'value',
                dataset_column_sql_type(v_types[v_col]))
            else null end;
        if v_where[cardinality(v_where)] is null then
            raise exception 'operator % is not known', v_op using errcode = '22023';
        end if;
    end loop;
    for v_item in select * from jsonb_array_elements(coalesce(p_query -> 'group', '[]')) loop
        v_col := (v_item #>> '{}')::integer;
        if v_col is null or v_col < 1 or v_col > cardinality(v_types) then
            raise exception 'no column %', v_col using errcode = '22023';
        end if;
        v_group := v_group || format('%I', 'c' || v_col);
    end loop;
    for v_item in select * from jsonb_array_elements(coalesce(p_query -> 'order', '[]')) loop
        v_out := (v_item ->> 'out')::integer;
        if v_out is null or v_out < 1 or v_out > cardinality(v_select) then
            raise exception 'no output %', v_out using errcode = '22023';
        end if;
        v_order := v_order || format('v%s %s nulls last', v_out,
            case when (v_item ->> 'desc')::boolean then 'desc' else 'asc' end);
    end loop;
    v_limit := coalesce((p_query ->> 'limit')::integer, 50);
    if v_limit < 1 or v_limit > 200 then
        raise exception 'limit must be 1 to 200' using errcode = '22023';
    end if;
    for i in 1 .. cardinality(v_select) loop
        v_outputs := v_outputs || case when i > 1 then ', ' else '' end || format('v%s', i);
        v_select[i] := v_select[i] || format(' as v%s', i);
    end loop;
    -- Rows in file order unless an order is asked for.
    if cardinality(v_order) = 0 and cardinality(v_group) = 0 and not exists (
        select 1 from jsonb_array_elements(coalesce(p_query -> 'select', '[]')) s where s ? 'agg') then
        v_select := v_select || '_row as v_row'::text;
        v_order := array['v_row'];
    end if;
    execute format(
        'select coalesce(jsonb_agg(jsonb_build_array(%s)), ''[]'') from '
        '(select %s from dataset_rows.%I%s%s%s limit %s) q',
        v_outputs,
        array_to_string(v_select, ', '),
        v_name,
        case when cardinality(v_where) > 0 then ' where ' || array_to_string(v_where, ' and ') else '' end,
        case when cardinality(v_group) > 0 then ' group by ' || array_to_string(v_group, ', ') else '' end,
        case when cardinality(v_order) > 0 then ' order by ' || array_to_string(v_order, ', ') else '' end,
        v_limit)
    into v_result;
    return v_result;
end;
$$;
