-- Updates of a hot account that stay HOT.
--
-- A hot account's lot row is updated by every reservation and every
-- release. With `remaining` in the predicate of the lot indexes each of
-- those updates wrote new index entries (no HOT update possible), and the
-- dead versions piled up in the index faster than autovacuum could clear
-- them: one busy account slowed to several milliseconds per operation.
-- Without `remaining` in any index, and with free room on each page,
-- those updates are HOT and pruned as pages are read.
drop index credit_lots_spend_idx;
drop index credit_lots_expiry_idx;
create index credit_lots_spend_idx on credit_lots (account_id, expires_at nulls last, created_at);
create index credit_lots_expiry_idx on credit_lots (expires_at) where expires_at is not null;
alter table credit_lots set (fillfactor = 50);
alter table credit_accounts set (fillfactor = 50);
alter table credit_holds set (fillfactor = 80);
