CREATE TABLE "campaign_recipients" (
	"campaign_id" uuid NOT NULL,
	"dealer_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"holdout" boolean NOT NULL,
	CONSTRAINT "campaign_recipients_campaign_id_contact_id_pk" PRIMARY KEY("campaign_id","contact_id")
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"name" text NOT NULL,
	"purpose" text NOT NULL,
	"status" text NOT NULL,
	"segment_id" uuid,
	"holdout_pct" integer DEFAULT 0 NOT NULL,
	"seed" text NOT NULL,
	"response_window_days" integer DEFAULT 45 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"launched_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"wave_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"template_version_id" uuid NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"lease_until" timestamp with time zone,
	"token" text NOT NULL,
	"address" text,
	"provider_ref" text,
	"segments" integer,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "waves" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"channel" text NOT NULL,
	"template_version_id" uuid NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"condition" text DEFAULT 'everyone' NOT NULL,
	"fallback" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_dealer_id_dealers_id_fk" FOREIGN KEY ("dealer_id") REFERENCES "public"."dealers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waves" ADD CONSTRAINT "waves_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaigns_dealer_idx" ON "campaigns" USING btree ("dealer_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_delivery_uq" ON "outbox" USING btree ("campaign_id","wave_id","contact_id","channel");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_token_uq" ON "outbox" USING btree ("token");--> statement-breakpoint
CREATE INDEX "outbox_due_idx" ON "outbox" USING btree ("next_attempt_at") WHERE "outbox"."status" IN ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "outbox_contact_idx" ON "outbox" USING btree ("dealer_id","contact_id","channel","sent_at");--> statement-breakpoint
CREATE UNIQUE INDEX "waves_campaign_seq_uq" ON "waves" USING btree ("campaign_id","seq");