CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "contact_merges" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"import_id" uuid NOT NULL,
	"row_number" integer NOT NULL,
	"matched_on" text NOT NULL,
	"changed" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contacts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"store_id" uuid,
	"kind" text NOT NULL,
	"full_name" text,
	"gender" text,
	"title" text,
	"birthday" date,
	"language" text,
	"phone_e164" text,
	"email" text,
	"country" text,
	"province" text,
	"city" text,
	"district" text,
	"street" text,
	"postcode" text,
	"company" text,
	"job_title" text,
	"fleet_size" integer,
	"club" text,
	"tier" text,
	"join_date" date,
	"mail_consent" text,
	"mail_consent_source" text,
	"mail_consent_at" timestamp with time zone,
	"sms_consent" text,
	"sms_consent_source" text,
	"sms_consent_at" timestamp with time zone,
	"email_consent" text,
	"email_consent_source" text,
	"email_consent_at" timestamp with time zone,
	"attributes" jsonb,
	"name_key" text,
	"household_key" text,
	"source_import_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dealers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"country" text DEFAULT 'CN' NOT NULL,
	"timezone" text DEFAULT 'Asia/Shanghai' NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"dealer_id" uuid NOT NULL,
	"key" text NOT NULL,
	"route" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer,
	"response" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_dealer_id_key_pk" PRIMARY KEY("dealer_id","key")
);
--> statement-breakpoint
CREATE TABLE "import_errors" (
	"import_id" uuid NOT NULL,
	"row_number" integer NOT NULL,
	"seq" integer NOT NULL,
	"column" text,
	"reason" text NOT NULL,
	"value" text,
	CONSTRAINT "import_errors_import_id_row_number_seq_pk" PRIMARY KEY("import_id","row_number","seq")
);
--> statement-breakpoint
CREATE TABLE "imports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"status" text NOT NULL,
	"filename" text,
	"file_key" text NOT NULL,
	"file_sha256" text NOT NULL,
	"bytes_total" bigint NOT NULL,
	"options" jsonb NOT NULL,
	"encoding" text,
	"delimiter" text,
	"mapping" jsonb,
	"rows_total" integer DEFAULT 0 NOT NULL,
	"rows_accepted" integer DEFAULT 0 NOT NULL,
	"rows_rejected" integer DEFAULT 0 NOT NULL,
	"merged_through" integer DEFAULT 0 NOT NULL,
	"contacts_created" integer DEFAULT 0 NOT NULL,
	"contacts_updated" integer DEFAULT 0 NOT NULL,
	"contacts_unchanged" integer DEFAULT 0 NOT NULL,
	"duplicates_merged" integer DEFAULT 0 NOT NULL,
	"error" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "segments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"rule" jsonb NOT NULL,
	"archived" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stores" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"name" text NOT NULL,
	"country" text,
	"province" text,
	"city" text,
	"district" text,
	"street" text,
	"postcode" text,
	"phone" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"target" text NOT NULL,
	"value" text NOT NULL,
	"reason" text NOT NULL,
	"source" text NOT NULL,
	"note" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vehicles" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dealer_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"vehicle_key" text NOT NULL,
	"vin" text,
	"make" text,
	"model" text,
	"purchase_date" date,
	"last_service_date" date,
	"mileage_km" integer,
	"insurance_expiry" date,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_dealer_id_dealers_id_fk" FOREIGN KEY ("dealer_id") REFERENCES "public"."dealers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_dealer_id_dealers_id_fk" FOREIGN KEY ("dealer_id") REFERENCES "public"."dealers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_dealer_id_dealers_id_fk" FOREIGN KEY ("dealer_id") REFERENCES "public"."dealers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stores" ADD CONSTRAINT "stores_dealer_id_dealers_id_fk" FOREIGN KEY ("dealer_id") REFERENCES "public"."dealers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suppressions" ADD CONSTRAINT "suppressions_dealer_id_dealers_id_fk" FOREIGN KEY ("dealer_id") REFERENCES "public"."dealers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_uq" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "contact_merges_contact_idx" ON "contact_merges" USING btree ("contact_id");--> statement-breakpoint
CREATE INDEX "contact_merges_import_idx" ON "contact_merges" USING btree ("import_id");--> statement-breakpoint
CREATE INDEX "contacts_dealer_id_idx" ON "contacts" USING btree ("dealer_id","id");--> statement-breakpoint
CREATE INDEX "contacts_phone_idx" ON "contacts" USING btree ("dealer_id","phone_e164") WHERE "contacts"."phone_e164" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "contacts_email_idx" ON "contacts" USING btree ("dealer_id","email") WHERE "contacts"."email" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "contacts_household_idx" ON "contacts" USING btree ("dealer_id","household_key") WHERE "contacts"."household_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "imports_dealer_idx" ON "imports" USING btree ("dealer_id","id");--> statement-breakpoint
CREATE INDEX "segments_dealer_idx" ON "segments" USING btree ("dealer_id","id");--> statement-breakpoint
CREATE INDEX "stores_dealer_idx" ON "stores" USING btree ("dealer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "suppressions_uq" ON "suppressions" USING btree ("dealer_id","target","value","channel");--> statement-breakpoint
CREATE UNIQUE INDEX "vehicles_key_uq" ON "vehicles" USING btree ("dealer_id","vehicle_key");--> statement-breakpoint
CREATE INDEX "vehicles_contact_idx" ON "vehicles" USING btree ("contact_id");