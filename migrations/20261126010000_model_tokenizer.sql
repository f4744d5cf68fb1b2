-- Which tokenizer counts a model's tokens when its upstream reports no usage
-- (domain::tokenizer::TokenizerChoice): our estimate, one of OpenAI's
-- encodings, or a Hugging Face tokenizer folder under the tokenizers
-- directory. Existing models keep the estimate.
alter table models
    add column tokenizer text not null default 'heuristic'
        check (tokenizer ~ '^(heuristic|tiktoken:(cl100k_base|o200k_base)|hf:[A-Za-z0-9_-][A-Za-z0-9._-]{0,63})$');
