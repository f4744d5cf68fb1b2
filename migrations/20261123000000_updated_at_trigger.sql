-- A trigger function every table with an `updated_at` column uses:
-- `create trigger … before update on t for each row execute function set_updated_at();`
create or replace function set_updated_at() returns trigger
language plpgsql as $$
begin
    if new is distinct from old then
        new.updated_at := now();
    end if;
    return new;
end;
$$;
