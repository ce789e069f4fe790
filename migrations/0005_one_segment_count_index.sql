DROP INDEX "contacts_kind_idx";--> statement-breakpoint
DROP INDEX "contacts_dealer_id_idx";--> statement-breakpoint
CREATE INDEX "contacts_dealer_id_idx" ON "contacts" USING btree ("dealer_id","id",((extract(month from "birthday"))::int),"birthday","kind","sms_consent","phone_e164","sms_suppressed","first_purchase_date","first_insurance_expiry","last_insurance_expiry");