// The device camera: live picture, one tap takes the photo (a JPEG blob for onPhoto).
// Without a live camera (plain http on a tablet: getUserMedia needs HTTPS) the file picker
// offers the tablet's own camera instead.

export function camera(section, { onPhoto, onError }) {
  const box = section.querySelector(".camera");
  const video = box.querySelector("video");
  const fileInput = section.querySelector("input[data-action=upload]");

  async function open() {
    onError("");
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      fileInput.setAttribute("capture", "environment");
      fileInput.click();
      return;
    }
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: { ideal: 1920 }, height: { ideal: 1080 } },
        audio: false,
      });
      await video.play();
      box.hidden = false;
    } catch (e) {
      onError("The camera could not be opened (" + e.name + "). Upload a photo instead.");
    }
  }

  function close() {
    if (video.srcObject) video.srcObject.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
    box.hidden = true;
  }

  function snap() {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    close();
    canvas.toBlob((blob) => onPhoto(blob, "camera.jpg"), "image/jpeg", 0.92);
  }

  return { open, close, snap };
}
