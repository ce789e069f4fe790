CREATE TABLE "responses" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"campaign_id" uuid,
	"wave_id" uuid,
	"channel" text,
	"variant" text,
	"contact_id" uuid,
	"piece_id" uuid,
	"delivery_id" uuid,
	"control" boolean DEFAULT false NOT NULL,
	"in_window" boolean DEFAULT true NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "outbox_due_idx";--> statement-breakpoint
ALTER TABLE "print_runs" ADD COLUMN "variant" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "variant" text;--> statement-breakpoint
ALTER TABLE "waves" ADD COLUMN "variants" jsonb;--> statement-breakpoint
ALTER TABLE "responses" ADD CONSTRAINT "responses_dealer_id_dealers_id_fk" FOREIGN KEY ("dealer_id") REFERENCES "public"."dealers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "responses_campaign_contact_idx" ON "responses" USING btree ("campaign_id","contact_id","kind");--> statement-breakpoint
CREATE INDEX "responses_dealer_time_idx" ON "responses" USING btree ("dealer_id","occurred_at");--> statement-breakpoint
CREATE INDEX "outbox_due_idx" ON "outbox" USING btree ("next_attempt_at","id") WHERE "outbox"."status" IN ('pending', 'sending');