-- The platform's usage per day (UTC) and model, for the staff dashboard:
-- its 30 days of requests, tokens, errors and credits read a row per day
-- and model, not every request of them. A day is rolled up once it is
-- over and no request of it can still be recorded (an hour after it
-- ended); the dashboard adds the days after the last rolled-up one from
-- `usage_records` itself, so it is never stale.
create table platform_usage_daily (
    day date not null,
    -- Empty for requests refused before their model was read.
    model text not null,
    requests bigint not null check (requests >= 0),
    input_tokens bigint not null check (input_tokens >= 0),
    output_tokens bigint not null check (output_tokens >= 0),
    -- Answered with a status of 400 or more.
    errors bigint not null check (errors >= 0),
    credits bigint not null check (credits >= 0),
    primary key (day, model)
);

-- The last day rolled up: one row.
create table platform_usage_rolled (
    one boolean primary key default true check (one),
    through date not null
);

-- The days recorded before this table, up to the day before yesterday
-- (yesterday may still be receiving its last requests' records).
insert into platform_usage_daily (day, model, requests, input_tokens, output_tokens, errors, credits)
select (created_at at time zone 'UTC')::date, model, count(*),
       coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
       count(*) filter (where status >= 400), coalesce(sum(credits), 0)
from usage_records
where created_at < (((now() at time zone 'UTC')::date - 1)::timestamp at time zone 'UTC')
group by 1, 2;

insert into platform_usage_rolled (through) values ((now() at time zone 'UTC')::date - 2);
