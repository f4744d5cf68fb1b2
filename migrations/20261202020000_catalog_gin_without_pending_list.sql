-- The catalog's GIN indexes without a pending list. By default a GIN index
-- queues new entries in a list that every search reads in full until a
-- vacuum merges it: after a bulk publish or an import, searches read
-- thousands of queued entries (8–13 ms instead of 0.1 ms for the word
-- index over 10,000 datasets). Datasets are written rarely and read on
-- every catalog view, so entries go straight into the index.
alter index datasets_search_idx set (fastupdate = off);
alter index datasets_tasks_idx set (fastupdate = off);
alter index dataset_words_trgm_idx set (fastupdate = off);
-- What is queued now goes in too.
select gin_clean_pending_list('datasets_search_idx'::regclass);
select gin_clean_pending_list('datasets_tasks_idx'::regclass);
select gin_clean_pending_list('dataset_words_trgm_idx'::regclass);
