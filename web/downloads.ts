/** Downloads of a result from the page: the JSON document and the charts as PNG (drawn from their SVG in a canvas). */

/** Offers `blob` as a download named `fileName`. */
export function offerDownload(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A JSON document as a download (typed arrays as plain arrays). */
export function downloadJson(value: unknown, fileName: string): void {
  const text = JSON.stringify(
    value,
    (_key, v) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
    1,
  );
  offerDownload(new Blob([`${text}\n`], { type: 'application/json' }), fileName);
}

/** Draws SVG charts one below the other on a white canvas at `scale` and returns the PNG. */
export async function svgsToPng(svgs: readonly string[], scale = 2): Promise<Blob> {
  const images = await Promise.all(
    svgs.map(async (svg) => {
      const image = new Image();
      image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
      await image.decode();
      return image;
    }),
  );
  const width = Math.max(...images.map((i) => i.naturalWidth));
  const height = images.reduce((sum, i) => sum + i.naturalHeight, 0);
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('This browser cannot draw on a canvas.');
  context.fillStyle = 'white';
  context.fillRect(0, 0, canvas.width, canvas.height);
  let y = 0;
  for (const image of images) {
    context.drawImage(image, 0, y * scale, image.naturalWidth * scale, image.naturalHeight * scale);
    y += image.naturalHeight;
  }
  return new Promise((done, fail) =>
    canvas.toBlob(
      (blob) => (blob === null ? fail(new Error('The PNG could not be encoded.')) : done(blob)),
      'image/png',
    ),
  );
}
