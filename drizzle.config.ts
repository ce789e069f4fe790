import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/db/schema.ts', './src/db/schema-print.ts', './src/db/schema-campaigns.ts', './src/db/schema-responses.ts', './src/db/schema-staff.ts'],
  out: './migrations',
});
