// Security keys and passkeys (WebAuthn): registration on the second-factors page, the second step
// at sign-in. The server (py_webauthn) makes the options and checks the answers; this only carries
// them between it and navigator.credentials, converting base64url fields to and from bytes.
(function () {
  "use strict";

  function toBytes(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); });
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(section, url, body) {
    var token = section.querySelector("input[name=csrfmiddlewaretoken]").value;
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error((data.error && data.error.message) || response.statusText);
        }
        return data;
      });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (item) { return Object.assign({}, item, { id: toBytes(item.id) }); });
  }

  function register(section) {
    return post(section, section.dataset.optionsUrl).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      options.excludeCredentials = descriptors(options.excludeCredentials);
      return navigator.credentials.create({ publicKey: options });
    }).then(function (credential) {
      var name = section.querySelector("[data-webauthn-name]");
      return post(section, section.dataset.verifyUrl, {
        name: name ? name.value : "",
        credential: {
          id: credential.id,
          rawId: toBase64url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toBase64url(credential.response.clientDataJSON),
            attestationObject: toBase64url(credential.response.attestationObject),
            transports: credential.response.getTransports ? credential.response.getTransports() : []
          },
          clientExtensionResults: credential.getClientExtensionResults()
        }
      });
    });
  }

  function signIn(section) {
    return post(section, section.dataset.optionsUrl).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.allowCredentials = descriptors(options.allowCredentials);
      return navigator.credentials.get({ publicKey: options });
    }).then(function (credential) {
      var response = credential.response;
      return post(section, section.dataset.verifyUrl, {
        credential: {
          id: credential.id,
          rawId: toBase64url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toBase64url(response.clientDataJSON),
            authenticatorData: toBase64url(response.authenticatorData),
            signature: toBase64url(response.signature),
            userHandle: response.userHandle ? toBase64url(response.userHandle) : null
          },
          clientExtensionResults: credential.getClientExtensionResults()
        }
      });
    });
  }

  document.querySelectorAll("[data-webauthn]").forEach(function (section) {
    var button = section.querySelector("[data-webauthn-start]");
    var error = section.querySelector("[data-webauthn-error]");
    if (!window.PublicKeyCredential || !button) {
      return;
    }
    button.addEventListener("click", function () {
      error.hidden = true;
      var step = section.dataset.webauthn === "register" ? register : signIn;
      step(section).then(function (data) {
        window.location.assign(data.redirect);
      }).catch(function (problem) {
        error.textContent = problem.message;
        error.hidden = false;
      });
    });
  });
})();
