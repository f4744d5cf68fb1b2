-- Curation: a dataset has at most one draft version at a time (the next
-- version being prepared), so "the draft" of a dataset is one row.
create unique index dataset_versions_one_draft on dataset_versions (dataset_id) where status = 'draft';
