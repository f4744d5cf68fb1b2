-- An organization's usage page and export read its pool's requests: the
-- usage records of one account over a span of days.
create index usage_records_account_idx on usage_records (account_id, created_at desc, id desc);
