CREATE TABLE "dealer_unit_costs" (
	"dealer_id" uuid PRIMARY KEY NOT NULL,
	"currency" text NOT NULL,
	"print_piece" numeric NOT NULL,
	"postage_piece" numeric NOT NULL,
	"sms_segment" numeric NOT NULL,
	"email_message" numeric NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dealer_unit_costs" ADD CONSTRAINT "dealer_unit_costs_dealer_id_dealers_id_fk" FOREIGN KEY ("dealer_id") REFERENCES "public"."dealers"("id") ON DELETE no action ON UPDATE no action;