CREATE INDEX IF NOT EXISTS "posts_author_idx" ON "posts" USING btree ("author_id");
