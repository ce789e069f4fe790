DROP INDEX "contacts_dealer_id_idx";--> statement-breakpoint
DROP INDEX "contacts_phone_idx";--> statement-breakpoint
DROP INDEX "vehicles_contact_idx";--> statement-breakpoint
CREATE INDEX "contacts_postcode_idx" ON "contacts" USING btree ("dealer_id","postcode" text_pattern_ops,"tier","sms_consent");--> statement-breakpoint
CREATE INDEX "contacts_dealer_id_idx" ON "contacts" USING btree ("dealer_id","id","kind","sms_consent","phone_e164");--> statement-breakpoint
CREATE INDEX "contacts_phone_idx" ON "contacts" USING btree ("dealer_id","phone_e164","id") WHERE "contacts"."phone_e164" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "vehicles_contact_idx" ON "vehicles" USING btree ("contact_id","dealer_id","purchase_date","insurance_expiry");