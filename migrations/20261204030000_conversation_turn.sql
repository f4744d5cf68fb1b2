-- A playground message recorded in one round trip: the first token of a
-- reply waits for it. Under the conversation's advisory lock (so two
-- messages sent at once take positions one after the other), it removes
-- what a regenerate or an edit replaces (positions from p_from on), then,
-- unless p_content is null (a regenerate), adds the person's message at
-- the next position and names an untitled conversation after it. Returns
-- the message's position (null for a regenerate).

create function conversation_record_turn(p_conversation uuid, p_from integer, p_content text, p_title text)
returns integer
language plpgsql as $$
declare
    v_position integer;
begin
    perform pg_advisory_xact_lock(hashtext(p_conversation::text));
    if p_from is not null then
        delete from conversation_messages where conversation_id = p_conversation and position >= p_from;
    end if;
    if p_content is null then
        return null;
    end if;
    insert into conversation_messages (conversation_id, position, role, content, status)
    select p_conversation, coalesce(max(position), 0) + 1, 'user', p_content, 'complete'
    from conversation_messages where conversation_id = p_conversation
    returning position into v_position;
    update conversations
    set updated_at = now(),
        title = case when title = 'New conversation' and p_title <> '' then p_title else title end
    where id = p_conversation;
    return v_position;
end;
$$;
