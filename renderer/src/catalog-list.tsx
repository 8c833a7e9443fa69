import { type CatalogImage, catalogEntryId } from '../../shared/catalog';

const VARIANT_LABEL: Record<CatalogImage['variant'], string> = {
  airgapped: 'Airgapped ISO',
  netboot: 'Netboot ISO',
  rpi: 'Raspberry Pi IMG',
};

function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** The catalog's images as choosable cards. */
export function CatalogList(props: {
  images: readonly CatalogImage[];
  chosenId: string | undefined;
  onChoose: (image: CatalogImage) => void;
}) {
  return (
    <ul className="catalog">
      {props.images.map((image) => {
        const id = catalogEntryId(image);
        return (
          <li key={id}>
            <button type="button" aria-pressed={props.chosenId === id} onClick={() => props.onChoose(image)}>
              <strong>{image.name}</strong>
              <span>
                {VARIANT_LABEL[image.variant]} · {image.arch} · v{image.version} · {image.release_date}
              </span>
              <span>
                {mib(image.image_download_size)} download, {mib(image.extract_size)} on disk
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
