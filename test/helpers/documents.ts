/** Documents the document tests add: a Markdown plan and a real two-page PDF made with pdf-lib. */

import { PDFDocument, StandardFonts } from 'pdf-lib';

/** A plan whose sentences the extractive analysis turns into a risk, actions and a decision. */
export const BACKUP_PLAN = `# Backup plan

We keep the family photos on the NAS in the hall cupboard. Both disks come from the same batch.
There is a risk that both disks may fail in the same week.
We decided to copy everything offsite every Sunday.

- [ ] Order a second offsite disk
- [ ] Write the restore runbook by 2027-03-12
`;

/** A real two-page PDF with a title in its metadata ("NAS support contract"). */
export async function contractPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle('NAS support contract');
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.addPage().drawText('Support for the NAS ends on renewal, due 2027-06-30.', {
    x: 50,
    y: 700,
    size: 12,
    font,
  });
  pdf
    .addPage()
    .drawText('The vendor may fail to ship spare disks.', { x: 50, y: 700, size: 12, font });
  return pdf.save();
}
