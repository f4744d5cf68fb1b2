-- Agents: the Lab's industry agents, as data. An agent (a slug) has
-- numbered versions; each version is everything the playground needs to
-- run it (model, system prompt, parameters, examples, linked datasets,
-- tools). A version is a draft until it is published, and then never
-- changes: editing a published agent drafts the next version, and a
-- conversation remembers the version it ran.

create table agents (
    id uuid primary key default gen_random_uuid(),
    slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) between 3 and 60),
    featured boolean not null default false,
    -- The version the gallery shows; null while none is (never published,
    -- or unpublished).
    published_version integer check (published_version is null or published_version > 0),
    published_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create trigger agents_updated_at before update on agents
    for each row execute function set_updated_at();

create index agents_gallery_idx on agents (featured desc, published_at desc, slug)
    where published_version is not null;

create table agent_versions (
    agent_id uuid not null references agents (id) on delete cascade,
    number integer not null check (number > 0),
    status text not null default 'draft' check (status in ('draft', 'published')),
    name text not null check (length(name) between 1 and 60),
    industry text not null check (industry in ('finance', 'healthcare', 'logistics', 'manufacturing',
                                               'retail', 'energy', 'cross-industry')),
    summary text not null check (length(summary) between 1 and 160),
    -- Markdown, rendered sanitized.
    description text not null check (length(description) <= 20000),
    icon text not null check (length(icon) between 1 and 16),
    -- The public id of a model the API serves.
    model text not null check (length(model) between 1 and 200),
    -- May name the variables {{user_name}} and {{date}}.
    system_prompt text not null check (length(system_prompt) between 1 and 40000),
    temperature double precision not null check (temperature between 0 and 2),
    top_p double precision not null check (top_p > 0 and top_p <= 1),
    max_tokens integer not null check (max_tokens between 1 and 32768),
    opening_message text not null check (length(opening_message) <= 2000),
    example_prompts text[] not null check (cardinality(example_prompts) between 3 and 6),
    -- Dataset slugs (a dataset may be renamed or removed: the gallery shows
    -- the ones it finds).
    datasets text[] not null default '{}' check (cardinality(datasets) <= 10),
    tools text[] not null default '{}' check (tools <@ array['describe_dataset', 'query_dataset']),
    changelog text not null default '' check (length(changelog) <= 500),
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    published_at timestamptz,
    primary key (agent_id, number),
    check ((status = 'published') = (published_at is not null))
);

-- At most one draft per agent.
create unique index agent_versions_one_draft on agent_versions (agent_id) where status = 'draft';

alter table agents add constraint agents_published_version_fkey
    foreign key (id, published_version) references agent_versions (agent_id, number)
    deferrable initially deferred;

-- A published version is what conversations ran: it never changes.
create function agent_versions_frozen() returns trigger
language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        if old.status = 'published' then
            raise exception 'agent version %/% is published and cannot be removed', old.agent_id, old.number;
        end if;
        return old;
    end if;
    if old.status = 'published' and (row(new.*) is distinct from row(old.*)) then
        raise exception 'agent version %/% is published and cannot change', old.agent_id, old.number;
    end if;
    return new;
end;
$$;

create trigger agent_versions_frozen before update or delete on agent_versions
    for each row execute function agent_versions_frozen();

-- A version with its agent's slug, featuring and published version: what
-- the portal reads of an agent.
create view agent_version_rows as
select a.id as agent_id, a.slug, a.featured, v.number, v.status, v.name, v.industry, v.summary,
       v.description, v.icon, v.model, v.system_prompt, v.temperature, v.top_p, v.max_tokens,
       v.opening_message, v.example_prompts, v.datasets, v.tools, v.changelog, v.published_at,
       a.published_version
from agent_versions v
join agents a on a.id = v.agent_id;
